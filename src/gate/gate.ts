import type { EventDefinition, EventId, IssuedTickets, UserId } from '../claim.ts';
import { AppError } from '../errors.ts';
import { type GateChange, publishGateChange } from './gate-changes.ts';
import { formatHeldClaim, formatHeldClaims, type HeldClaim, parseHeldClaims } from './held-claims.ts';
import { activeEventsKey, gateKeys } from './keys.ts';
import { type OutboxContents, type OutboxFigures, readOutboxContents, readOutboxFigures } from './outbox.ts';
import type { GateRedis } from './redis.ts';

export type { HeldClaim } from './held-claims.ts';
export type { OutboxContents, OutboxFigures } from './outbox.ts';

export type Rejection = 'SOLD_OUT' | 'LIMIT_REACHED' | 'NOT_STARTED' | 'ENDED' | 'NO_EVENT';
export type Admission = { kind: 'ADMITTED'; seq: number; slot: number } | { kind: Rejection };

const rejections = new Set<string>(['SOLD_OUT', 'LIMIT_REACHED', 'NOT_STARTED', 'ENDED', 'NO_EVENT']);

export function parseAdmission(reply: unknown): Admission | undefined {
  if (!Array.isArray(reply)) return undefined;
  const [kind, seq, slot] = reply as unknown[];
  if (kind === 'ADMITTED' && typeof seq === 'number' && typeof slot === 'number') return { kind, seq, slot };
  if (typeof kind === 'string' && rejections.has(kind) && reply.length === 1) return { kind: kind as Rejection };
  return undefined;
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

/** A held claim with its user: what reconcile compares with the database. */
export interface UserTicket extends HeldClaim {
  userId: UserId;
}

/** Everything the gate holds for an event, read for reconcile (not atomically: figures may move meanwhile). */
export interface GateTickets {
  /** undefined when the gate does not hold the event. */
  counters: { stock: number; admitted: number; seq: number } | undefined;
  held: UserTicket[];
  /** Tickets given back, waiting for the next admissions. */
  returned: number[];
}

/** What repair-event left in the gate. */
export interface RepairedFigures {
  admitted: number;
  seq: number;
  /** Tickets within stock that no claim holds, ready for the next admissions. */
  returned: number;
}

/** The admission window the gate enforces: a close ends it as an end time does. */
export const windowOf = (event: EventDefinition) => {
  const ends = [event.endsAt, event.closedAt].filter((d): d is Date => d !== null).map((d) => d.getTime());
  return { startsAtMs: event.startsAt?.getTime() ?? 0, endsAtMs: ends.length > 0 ? Math.min(...ends) : 0 };
};

const unavailable = (what: string, error: unknown) =>
  new AppError(
    'GATE_UNAVAILABLE',
    `Redis did not answer ${what}: ${error instanceof Error ? error.message : String(error)}`,
    {
      cause: error,
      retryable: true,
    },
  );

/** The one caller of the gate's Lua scripts; it alone knows their KEYS/ARGV order. */
export function createGate(redis: GateRedis) {
  async function call<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw unavailable(what, error);
    }
  }

  return {
    async admitClaim(claim: { eventId: EventId; userId: UserId; claimId: string }): Promise<Admission> {
      const k = gateKeys(claim.eventId);
      const reply = await call(`admit-claim for event ${claim.eventId}`, () =>
        redis.admitClaim([k.event, k.users, k.outbox, k.returned], [claim.userId, claim.claimId]),
      );
      const admission = parseAdmission(reply);
      if (admission) return admission;
      throw new AppError('GATE_BAD_REPLY', `admit-claim returned ${JSON.stringify(reply)} for claim ${claim.claimId}`);
    },

    /** Loads an event unless the gate holds it already; returns whether this call loaded it. */
    async loadEvent(event: EventDefinition, issued?: IssuedTickets): Promise<boolean> {
      const k = gateKeys(event.id);
      const { startsAtMs, endsAtMs } = windowOf(event);
      const users = [...(issued?.claimsByUser ?? [])].flatMap(([userId, claims]) => [userId, formatHeldClaims(claims)]);
      const args = [event.stock, event.perUserLimit, startsAtMs, endsAtMs, issued?.maxSeq ?? 0, issued?.admitted ?? 0];
      const seeded = await call(`seed-event for event ${event.id}`, async () => {
        const result = await redis.seedEvent([k.event, k.users], [...args, ...users]);
        await redis.sAdd(activeEventsKey, event.id);
        return result;
      });
      return seeded === 1;
    },

    /** Ends the event in the gate now; returns false when the gate does not hold it. */
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

    async readTickets(eventId: EventId): Promise<GateTickets> {
      const k = gateKeys(eventId);
      return call(`tickets of event ${eventId}`, async () => {
        const [fields, returned] = await Promise.all([redis.hGetAll(k.event), redis.lRange(k.returned, 0, -1)]);
        const held: UserTicket[] = [];
        let cursor = '0';
        do {
          const page = await redis.hScan(k.users, cursor, { COUNT: 1000 });
          for (const { field, value } of page.entries) {
            held.push(...parseHeldClaims(value).map((claim) => ({ ...claim, userId: field })));
          }
          cursor = String(page.cursor);
        } while (cursor !== '0');
        const counters =
          fields.stock === undefined
            ? undefined
            : { stock: Number(fields.stock), admitted: Number(fields.admitted ?? 0), seq: Number(fields.seq ?? 0) };
        return { counters, held, returned: returned.map(Number) };
      });
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
        const result = await redis.redriveClaim([k.users, k.outbox], [claim.userId, claim.claimId]);
        // The relay drains the outboxes of active events; a gate re-seeded by hand must be one of them.
        await redis.sAdd(activeEventsKey, claim.eventId);
        return result;
      });
      return reply === 1;
    },

    /**
     * Brings the gate in line with the database (see repair-event.lua): `hold` are the database's claims
     * the gate must hold, `drop` the dead claims it must stop holding.
     */
    async repairEvent(
      event: EventDefinition,
      changes: { hold: UserTicket[]; drop: Array<{ userId: UserId; claimId: string }> },
    ): Promise<RepairedFigures> {
      const k = gateKeys(event.id);
      const { startsAtMs, endsAtMs } = windowOf(event);
      const args = [
        event.stock,
        event.perUserLimit,
        startsAtMs,
        endsAtMs,
        changes.drop.length,
        ...changes.drop.flatMap((d) => [d.userId, d.claimId]),
        ...changes.hold.flatMap((h) => [h.userId, formatHeldClaim(h)]),
      ];
      const reply = await call(`repair-event for event ${event.id}`, async () => {
        const result = await redis.repairEvent([k.event, k.users, k.returned], args);
        await redis.sAdd(activeEventsKey, event.id);
        return result;
      });
      const [admitted, seq, returned] = Array.isArray(reply) ? (reply as unknown[]) : [];
      if (typeof admitted === 'number' && typeof seq === 'number' && typeof returned === 'number') {
        return { admitted, seq, returned };
      }
      throw new AppError('GATE_BAD_REPLY', `repair-event returned ${JSON.stringify(reply)} for event ${event.id}`);
    },

    /** Tells every API process of a close or a restock, for its verdict cache (see subscribeGateChanges). */
    async publishChange(change: GateChange): Promise<void> {
      await call(`the ${change.kind} notice for event ${change.eventId}`, () => publishGateChange(redis, change));
    },

    async ping(): Promise<void> {
      await call('PING', () => redis.ping());
    },
  };
}

export type Gate = ReturnType<typeof createGate>;
