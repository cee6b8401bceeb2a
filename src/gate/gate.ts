import type { EventDefinition, EventId, IssuedTickets, UserId } from '../claim.ts';
import { AppError } from '../errors.ts';
import { callGate } from './gate-call.ts';
import { type GateChange, type GateNotice, publishGateChange } from './gate-changes.ts';
import { type Admission, type ClaimRequest, createClaimAdmission, reopenPool } from './admit-claim.ts';
import { type EventLayout, layoutOf } from './event-layout.ts';
import { type HeldClaim, parseHeldClaims } from './held-claims.ts';
import { activeEventsKey, gateKeys } from './keys.ts';
import { createLease } from './lease.ts';
import { createQueueGate } from './queue.ts';
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
import { type GateRedis, isCluster } from './redis.ts';
import { eventOfTag } from './shards.ts';
import { createReplicaWait, type ReplicaWaitOptions } from './replica-wait.ts';
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

export type { Admission, ClaimRequest, Rejection } from './admit-claim.ts';
export type {
  EventWithQueue,
  QueuedEvent,
  QueueGate,
  QueueJoin,
  QueuePace,
  QueuePlace,
  QueueState,
  WindowCheckpoint,
} from './queue.ts';
export { queuedEventOf, turnAtMsOf } from './queue.ts';
export { keyedClaimTtl, parseAdmission } from './admit-claim.ts';
export { maxShards } from './shards.ts';

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
  shards: event.shards,
  ...windowOf(event),
});

/** How the gate loads and repairs events in chunks; tests make them small. */
export interface GateOptions {
  load?: Partial<LoadOptions>;
  repair?: Partial<RepairOptions>;
  /** Answer an admission only once this many replicas hold it (REDIS_WAIT_REPLICAS; see replica-wait.ts). */
  replicaWait?: ReplicaWaitOptions | undefined;
}

/** Ticket entries of the pool's free list or a lease ("lo:hi" or "t", see ticket-ranges.lua), one by one. */
const ticketsOfEntries = (entries: string[]): number[] =>
  entries.flatMap((entry) => {
    const [lo, hi = lo] = entry.split(':').map(Number);
    return Array.from({ length: hi! - lo! + 1 }, (_, i) => lo! + i);
  });

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

/** The one caller of the gate's Lua scripts; it alone knows their KEYS/ARGV order. */
export function createGate(redis: GateRedis, options: GateOptions = {}) {
  const call = callGate;
  const loadOptions: LoadOptions = { ...defaultLoadOptions, ...options.load };
  const repairOptions: RepairOptions = { ...defaultRepairOptions, ...options.repair };
  const publishChange = (notice: GateNotice): Promise<GateChange> =>
    call(`the ${notice.kind} notice for event ${notice.eventId}`, () => publishGateChange(redis, notice));
  const admit = createClaimAdmission(
    redis,
    async (eventId) => {
      await publishChange({ kind: 'restocked', eventId });
    },
    options.replicaWait && options.replicaWait.replicas > 0 ? createReplicaWait(redis, options.replicaWait) : undefined,
  );
  // An event's shard count never changes, so a process learns its layout once, from the pool: a claim
  // then builds no keys and makes no extra round trip.
  const layouts = new Map<EventId, EventLayout>();

  /** The event's layout in the gate; undefined when the gate does not hold its pool. */
  async function layoutFor(eventId: EventId): Promise<EventLayout | undefined> {
    const known = layouts.get(eventId);
    if (known) return known;
    const [stock, shards] = await call(`the shards of event ${eventId}`, () =>
      redis.hmGet(gateKeys(eventId).event, ['stock', 'shards']),
    );
    if (stock === null || stock === undefined) return undefined;
    const layout = layoutOf(eventId, Number(shards ?? 1));
    if (layouts.size > 10_000) layouts.clear();
    layouts.set(eventId, layout);
    return layout;
  }

  /** The layout, or one shard's when the gate lost the pool: where a lone shard's keys would be. */
  const layoutOrFirst = async (eventId: EventId): Promise<EventLayout> =>
    (await layoutFor(eventId)) ?? layoutOf(eventId, 1);

  /**
   * The claims the gate holds for an event, handed to `onPage` a page at a time (HSCAN: a user may come
   * twice), with its counters and free tickets; not atomic: figures may move meanwhile.
   */
  async function scanTickets(
    eventId: EventId,
    onPage: (page: UserTicket[]) => Promise<void> | void,
  ): Promise<Omit<GateTickets, 'held'>> {
    const { shardKeys } = await layoutOrFirst(eventId);
    return call(`tickets of event ${eventId}`, async () => {
      const fields = await redis.hGetAll(shardKeys[0]!.event);
      const admitted = await Promise.all(shardKeys.map((k) => redis.hGet(k.event, 'admitted')));
      const entries: string[] = [];
      for (const list of [shardKeys[0]!.returned, ...shardKeys.map((k) => k.lease)]) {
        for (let start = 0; ; start += 10_000) {
          const page = await redis.lRange(list, start, start + 9_999);
          entries.push(...page);
          if (page.length < 10_000) break;
        }
      }
      for (const k of shardKeys) {
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
      }
      const counters =
        fields.stock === undefined
          ? undefined
          : { stock: Number(fields.stock), admitted: sum(admitted.map(Number)), seq: Number(fields.seq ?? 0) };
      return { counters, returned: ticketsOfEntries(entries) };
    });
  }

  return {
    /**
     * Decides a claim, on the user's home shard. With an `idempotencyKey` (visible ASCII, no space), a key
     * the user was admitted with before in this event answers REPLAYED with that claim, whatever happened since.
     */
    async admitClaim(claim: ClaimRequest): Promise<Admission> {
      const layout = await layoutFor(claim.eventId);
      if (!layout) return { kind: 'NO_EVENT' };
      return admit(layout, claim);
    },

    /**
     * Loads an event unless the gate holds it already (every shard of it), with the tickets the database
     * holds (a source that reads them page by page, or read whole); returns whether this call loaded it.
     * Its outboxes are on the relays' list before it admits; one process of the deployment loads it, in
     * chunks (see load-event.ts).
     */
    async loadEvent(event: EventDefinition, tickets: TicketSource | IssuedTickets = noTickets): Promise<boolean> {
      const source = typeof tickets === 'function' ? tickets : ticketsOf(tickets);
      return loadEvent(redis, gateEventOf(event), source, loadOptions);
    },

    /**
     * Ends the event on every shard at `endsAtMs` or at Redis's own time, whichever is earlier (an earlier
     * end stays), and raises its generation; returns false when the gate does not hold the event.
     */
    async endEvent(eventId: EventId, endsAtMs: number): Promise<boolean> {
      const { shardKeys } = await layoutOrFirst(eventId);
      const replies = await call(`end-event for event ${eventId}`, () =>
        Promise.all(shardKeys.map((k) => redis.endEvent([k.event], [endsAtMs]))),
      );
      return replies[0] === 1;
    },

    /**
     * Gives a claim's ticket back (it can never be issued); returns false when it was given back already.
     * On a sharded event the ticket joins its shard's lease, and the pool hears that it must sweep again.
     */
    async returnTicket(claim: { eventId: EventId; userId: UserId; claimId: string; seq: number }): Promise<boolean> {
      const layout = await layoutOrFirst(claim.eventId);
      const shard = layout.homeOf(claim.userId);
      const k = layout.shardKeys[shard]!;
      const what = `return-ticket for claim ${claim.claimId}`;
      const reply = await call(what, () =>
        redis.returnTicket(
          [k.event, k.users, layout.shards === 1 ? k.returned : k.lease],
          [claim.userId, claim.claimId, claim.seq],
        ),
      );
      if (reply === -1) {
        throw new AppError('GATE_UNAVAILABLE', `event ${claim.eventId} is paused for a repair; try again`, {
          retryable: true,
        });
      }
      if (reply === 1 && layout.shards > 1) await call(what, () => reopenPool(redis, layout));
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

    /** The event's figures, its admissions summed over its shards. */
    async readFigures(eventId: EventId): Promise<GateFigures | undefined> {
      const layout = await layoutFor(eventId);
      if (!layout) return undefined;
      const [pool, ...others] = await call(`figures for event ${eventId}`, () =>
        Promise.all([
          redis.hmGet(layout.pool.event, ['stock', 'admitted', 'startsAtMs', 'endsAtMs']),
          ...layout.shardKeys.slice(1).map((k) => redis.hGet(k.event, 'admitted')),
        ]),
      );
      const [stock, admitted, startsAtMs, endsAtMs] = pool;
      if (stock === null || stock === undefined) return undefined;
      return {
        stock: Number(stock),
        admitted: Number(admitted ?? 0) + sum(others.map(Number)),
        startsAtMs: Number(startsAtMs ?? 0),
        endsAtMs: Number(endsAtMs ?? 0),
      };
    },

    async listHeldClaims(eventId: EventId, userId: UserId): Promise<HeldClaim[]> {
      const layout = await layoutOrFirst(eventId);
      const k = layout.shardKeys[layout.homeOf(userId)]!;
      const held = await call(`claims of user in event ${eventId}`, () => redis.hGet(k.users, userId));
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

    /** The claims waiting in the event's outboxes (every shard's). */
    async readOutbox(eventId: EventId): Promise<OutboxContents> {
      const layout = await layoutOrFirst(eventId);
      return call(`outbox of event ${eventId}`, () => readOutboxContents(redis, layout.tags));
    },

    /** The outboxes in numbers: their length, the claims waiting for Kafka, and how many of those a relay has read. */
    async readOutboxFigures(eventId: EventId): Promise<OutboxFigures> {
      const layout = await layoutOrFirst(eventId);
      return call(`outbox figures of event ${eventId}`, () => readOutboxFigures(redis, layout.tags));
    },

    /** The events whose outboxes (any shard's) are on the relays' list: loaded, and not deleted since. */
    async listActiveEvents(): Promise<EventId[]> {
      const tags = await call("the relays' list of outboxes", () => redis.sMembers(activeEventsKey));
      return [...new Set(tags.map(eventOfTag))];
    },

    /** Puts a held claim back in its shard's outbox; returns false when the user no longer holds it. */
    async redriveClaim(claim: { eventId: EventId; userId: UserId; claimId: string }): Promise<boolean> {
      const layout = await layoutOrFirst(claim.eventId);
      const shard = layout.homeOf(claim.userId);
      const k = layout.shardKeys[shard]!;
      const reply = await call(`redrive-claim for claim ${claim.claimId}`, async () => {
        // The relay drains the outboxes on its list: listed before the claim is in the outbox.
        await redis.sAdd(activeEventsKey, layout.tags[shard]!);
        return redis.redriveClaim([k.users, k.outbox], [claim.userId, claim.claimId]);
      });
      return reply === 1;
    },

    /** Puts the event's outboxes (back) on the relays' list. */
    async listEvent(event: Pick<EventDefinition, 'id' | 'shards'>): Promise<void> {
      const { tags } = layoutOf(event.id, event.shards);
      await call(`the listing of event ${event.id}`, () => redis.sAdd(activeEventsKey, [...tags]));
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
    publishChange,

    /** The masters of the cluster (1 on a single Redis): what an event's `shards: "auto"` becomes. */
    async countMasters(): Promise<number> {
      return isCluster(redis) ? redis.masters.length : 1;
    },

    /** Forgets what this process learnt of these events' layout (tests and the benchmark delete events). */
    forget(eventIds: EventId[]): void {
      for (const eventId of eventIds) layouts.delete(eventId);
    },

    layoutFor,
    layoutOrFirst,

    /** Events with a queue: joining, places, the window (see queue.ts). */
    queue: createQueueGate(redis),

    async ping(): Promise<void> {
      await call('PING', () => redis.ping());
    },
  };
}

export type Gate = ReturnType<typeof createGate>;
