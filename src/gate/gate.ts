import type { EventDefinition, EventId, IssuedTickets, UserId } from '../claim.ts';
import { AppError } from '../errors.ts';
import { callGate } from './gate-call.ts';
import { type GateChange, type GateNotice, publishGateChange } from './gate-changes.ts';
import { type HeldClaim, parseHeldClaims } from './held-claims.ts';
import { activeEventsKey, gateKeys } from './keys.ts';
import { createLease } from './lease.ts';
import {
  defaultLoadOptions,
  type GateEvent,
  loadEvent,
  type LoadOptions,
  noTickets,
  type TicketSource,
  ticketsOf,
  type UserTicket,
} from './load-event.ts';
import { type OutboxContents, type OutboxFigures, readOutboxContents, readOutboxFigures } from './outbox.ts';
import type { GateRedis } from './redis.ts';
import {
  defaultRepairOptions,
  repairEvent,
  type RepairChanges,
  type RepairedFigures,
  type RepairOptions,
  type RepairStep,
} from './repair-event.ts';

export type { HeldClaim } from './held-claims.ts';
export type { Lease } from './lease.ts';
export type { GateEvent, LoadOptions, TicketSource, UserTicket } from './load-event.ts';
export type { OutboxContents, OutboxFigures } from './outbox.ts';
export type { RepairChanges, RepairedFigures, RepairOptions, RepairStep } from './repair-event.ts';

export type Rejection = 'SOLD_OUT' | 'LIMIT_REACHED' | 'NOT_STARTED' | 'ENDED' | 'NO_EVENT';
export type Admission =
  | { kind: 'ADMITTED'; seq: number; slot: number }
  /** An earlier request with the same Idempotency-Key was admitted as `claimId`: its answer, again. */
  | { kind: 'REPLAYED'; seq: number; slot: number; claimId: string }
  /** Final for everyone until the event's `generation` moves on: a process may remember it (verdict-cache.ts). */
  | { kind: 'SOLD_OUT' | 'ENDED'; generation: number }
  | { kind: 'LIMIT_REACHED' | 'NOT_STARTED' | 'NO_EVENT' };

const plainRejections = new Set<string>(['LIMIT_REACHED', 'NOT_STARTED', 'NO_EVENT']);

export function parseAdmission(reply: unknown): Admission | undefined {
  if (!Array.isArray(reply)) return undefined;
  const [kind, seq, slot, claimId] = reply as unknown[];
  if (kind === 'ADMITTED' && typeof seq === 'number' && typeof slot === 'number') return { kind, seq, slot };
  if (kind === 'REPLAYED' && typeof seq === 'number' && typeof slot === 'number' && typeof claimId === 'string') {
    return { kind, seq, slot, claimId };
  }
  if ((kind === 'SOLD_OUT' || kind === 'ENDED') && typeof seq === 'number') return { kind, generation: seq };
  if (typeof kind === 'string' && plainRejections.has(kind) && reply.length === 1) {
    return { kind: kind as 'LIMIT_REACHED' | 'NOT_STARTED' | 'NO_EVENT' };
  }
  return undefined;
}

/**
 * How long the gate keeps the claims admitted with an Idempotency-Key, so that a retry answers the same:
 * a day past the event's end, or, for an event without an end, a week after its last keyed claim.
 */
export const keyedClaimTtl = { afterEndMs: 86_400_000, withoutEndMs: 7 * 86_400_000 } as const;

/** The window the gate enforces for an event: a close shows as an end. */
export interface GateWindow {
  startsAtMs: number;
  /** 0 when the event has no end. */
  endsAtMs: number;
}

/** What the gate knows of an event: its counters, and the window it enforces. */
export interface GateFigures {
  stock: number;
  /** Tickets held by claims that were admitted and not given back. */
  admitted: number;
  startsAtMs: number;
  /** 0 when the event has no end. */
  endsAtMs: number;
}

/** Everything the gate holds for an event, read for reconcile (not atomically: figures may move meanwhile). */
export interface GateTickets {
  /** undefined when the gate does not hold the event. */
  counters: { stock: number; admitted: number; seq: number } | undefined;
  held: UserTicket[];
  /** Tickets given back, waiting for the next admissions. */
  returned: number[];
}

/** The admission window the gate enforces: a close ends it as an end time does. */
export const windowOf = (event: EventDefinition) => {
  const ends = [event.endsAt, event.closedAt].filter((d): d is Date => d !== null).map((d) => d.getTime());
  return { startsAtMs: event.startsAt?.getTime() ?? 0, endsAtMs: ends.length > 0 ? Math.min(...ends) : 0 };
};

const gateEventOf = (event: EventDefinition): GateEvent => ({
  id: event.id,
  stock: event.stock,
  perUserLimit: event.perUserLimit,
  ...windowOf(event),
});

/** How the gate loads and repairs events in chunks; tests make them small. */
export interface GateOptions {
  load?: Partial<LoadOptions>;
  repair?: Partial<RepairOptions>;
}

/** The one caller of the gate's Lua scripts; it alone knows their KEYS/ARGV order. */
export function createGate(redis: GateRedis, options: GateOptions = {}) {
  const call = callGate;
  const loadOptions: LoadOptions = { ...defaultLoadOptions, ...options.load };
  const repairOptions: RepairOptions = { ...defaultRepairOptions, ...options.repair };

  /**
   * The claims the gate holds for an event, handed to `onPage` a page at a time (HSCAN: a user may come
   * twice), with its counters and returned tickets; not atomic: figures may move meanwhile.
   */
  async function scanTickets(
    eventId: EventId,
    onPage: (page: UserTicket[]) => Promise<void> | void,
  ): Promise<Omit<GateTickets, 'held'>> {
    const k = gateKeys(eventId);
    return call(`tickets of event ${eventId}`, async () => {
      const fields = await redis.hGetAll(k.event);
      const returned: number[] = [];
      for (let start = 0; ; start += 10_000) {
        const page = await redis.lRange(k.returned, start, start + 9_999);
        returned.push(...page.map(Number));
        if (page.length < 10_000) break;
      }
      let cursor = '0';
      do {
        const page = await redis.hScan(k.users, cursor, { COUNT: 1000 });
        await onPage(
          page.entries.flatMap(({ field, value }) =>
            parseHeldClaims(value).map((claim) => ({ ...claim, userId: field })),
          ),
        );
        cursor = String(page.cursor);
      } while (cursor !== '0');
      const counters =
        fields.stock === undefined
          ? undefined
          : { stock: Number(fields.stock), admitted: Number(fields.admitted ?? 0), seq: Number(fields.seq ?? 0) };
      return { counters, returned };
    });
  }

  return {
    /**
     * Decides a claim. With an `idempotencyKey` (visible ASCII, no space), a key the user was admitted
     * with before in this event answers REPLAYED with that claim, whatever happened since.
     */
    async admitClaim(claim: {
      eventId: EventId;
      userId: UserId;
      claimId: string;
      idempotencyKey?: string | undefined;
    }): Promise<Admission> {
      const k = gateKeys(claim.eventId);
      const reply = await call(`admit-claim for event ${claim.eventId}`, () =>
        redis.admitClaim(
          [k.event, k.users, k.outbox, k.returned, k.keyedClaims],
          [
            claim.userId,
            claim.claimId,
            claim.idempotencyKey ?? '',
            keyedClaimTtl.afterEndMs,
            keyedClaimTtl.withoutEndMs,
          ],
        ),
      );
      if (Array.isArray(reply) && reply[0] === 'PAUSED') {
        throw new AppError('GATE_UNAVAILABLE', `event ${claim.eventId} is paused for a repair; nothing was admitted`, {
          retryable: true,
        });
      }
      const admission = parseAdmission(reply);
      if (admission) return admission;
      throw new AppError('GATE_BAD_REPLY', `admit-claim returned ${JSON.stringify(reply)} for claim ${claim.claimId}`);
    },

    /**
     * Loads an event unless the gate holds it already, with the tickets the database holds (a source that
     * reads them page by page, or read whole); returns whether this call loaded it. It is on the relay's
     * list before it admits; one process of the deployment loads it, in chunks (see load-event.ts).
     */
    async loadEvent(event: EventDefinition, tickets: TicketSource | IssuedTickets = noTickets): Promise<boolean> {
      const source = typeof tickets === 'function' ? tickets : ticketsOf(tickets);
      return loadEvent(redis, gateEventOf(event), source, loadOptions);
    },

    /**
     * Ends the event in the gate at `endsAtMs` or at Redis's own time, whichever is earlier (an earlier end
     * stays), and raises its generation; returns false when the gate does not hold the event.
     */
    async endEvent(eventId: EventId, endsAtMs: number): Promise<boolean> {
      const reply = await call(`end-event for event ${eventId}`, () =>
        redis.endEvent([gateKeys(eventId).event], [endsAtMs]),
      );
      return reply === 1;
    },

    /** Gives a claim's ticket back (it can never be issued); returns false when it was given back already. */
    async returnTicket(claim: { eventId: EventId; userId: UserId; claimId: string; seq: number }): Promise<boolean> {
      const k = gateKeys(claim.eventId);
      const reply = await call(`return-ticket for claim ${claim.claimId}`, () =>
        redis.returnTicket([k.event, k.users, k.returned], [claim.userId, claim.claimId, claim.seq]),
      );
      return reply === 1;
    },

    /** The window the gate enforces for the event (a close included); undefined when it does not hold it. */
    async readWindow(eventId: EventId): Promise<GateWindow | undefined> {
      const [stock, startsAtMs, endsAtMs] = await call(`the window of event ${eventId}`, () =>
        redis.hmGet(gateKeys(eventId).event, ['stock', 'startsAtMs', 'endsAtMs']),
      );
      if (stock === null || stock === undefined) return undefined;
      return { startsAtMs: Number(startsAtMs ?? 0), endsAtMs: Number(endsAtMs ?? 0) };
    },

    async readFigures(eventId: EventId): Promise<GateFigures | undefined> {
      const fields = await call(`figures for event ${eventId}`, () => redis.hGetAll(gateKeys(eventId).event));
      if (fields.stock === undefined) return undefined;
      return {
        stock: Number(fields.stock),
        admitted: Number(fields.admitted ?? 0),
        startsAtMs: Number(fields.startsAtMs ?? 0),
        endsAtMs: Number(fields.endsAtMs ?? 0),
      };
    },

    async listHeldClaims(eventId: EventId, userId: UserId): Promise<HeldClaim[]> {
      const held = await call(`claims of user in event ${eventId}`, () => redis.hGet(gateKeys(eventId).users, userId));
      return held ? parseHeldClaims(held) : [];
    },

    scanTickets,

    /** Everything the gate holds for an event, in memory (scanTickets reads it a page at a time). */
    async readTickets(eventId: EventId): Promise<GateTickets> {
      const held = new Map<UserId, UserTicket[]>();
      // HSCAN may return a user twice: each counts once.
      const rest = await scanTickets(eventId, (page) => {
        for (const ticket of page) {
          const claims = held.get(ticket.userId) ?? [];
          if (!claims.some((c) => c.claimId === ticket.claimId)) claims.push(ticket);
          held.set(ticket.userId, claims);
        }
      });
      return { ...rest, held: [...held.values()].flat() };
    },

    async readOutbox(eventId: EventId): Promise<OutboxContents> {
      return call(`outbox of event ${eventId}`, () => readOutboxContents(redis, eventId));
    },

    /** The outbox in numbers: its length, the claims waiting for Kafka, and how many of those a relay has read. */
    async readOutboxFigures(eventId: EventId): Promise<OutboxFigures> {
      return call(`outbox figures of event ${eventId}`, () => readOutboxFigures(redis, eventId));
    },

    /** Puts a held claim back in the outbox; returns false when the user no longer holds it. */
    async redriveClaim(claim: { eventId: EventId; userId: UserId; claimId: string }): Promise<boolean> {
      const k = gateKeys(claim.eventId);
      const reply = await call(`redrive-claim for claim ${claim.claimId}`, async () => {
        // The relay drains the outboxes of listed events: listed before the claim is in the outbox.
        await redis.sAdd(activeEventsKey, claim.eventId);
        return redis.redriveClaim([k.users, k.outbox], [claim.userId, claim.claimId]);
      });
      return reply === 1;
    },

    /** Puts the event (back) on the relay's list, whose outboxes the relays drain. */
    async listEvent(eventId: EventId): Promise<void> {
      await call(`the listing of event ${eventId}`, () => redis.sAdd(activeEventsKey, eventId));
    },

    /**
     * Brings the gate in line with the database, in chunks while the event is paused (see
     * repair-event.ts): `hold` are the database's claims the gate must hold, `drop` the dead claims it
     * must stop holding. `onStep` hears where the repair is.
     */
    async repairEvent(
      event: EventDefinition,
      changes: RepairChanges,
      onStep?: (step: RepairStep) => Promise<void> | void,
    ): Promise<RepairedFigures> {
      return repairEvent(redis, gateEventOf(event), changes, repairOptions, loadOptions, onStep);
    },

    /** A lease one process of the deployment holds at a time (see lease.ts), e.g. for the drift watch. */
    createLease(name: string, ttlMs: number) {
      return createLease(redis, name, ttlMs);
    },

    /**
     * Tells every API process of a close or a restock, for its verdict cache (see subscribeGateChanges).
     * Call it after the change: the notice carries the event's generation read then. Returns the notice.
     */
    async publishChange(notice: GateNotice): Promise<GateChange> {
      return call(`the ${notice.kind} notice for event ${notice.eventId}`, () => publishGateChange(redis, notice));
    },

    async ping(): Promise<void> {
      await call('PING', () => redis.ping());
    },
  };
}

export type Gate = ReturnType<typeof createGate>;
