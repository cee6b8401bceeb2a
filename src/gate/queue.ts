import { randomBytes } from 'node:crypto';
import type { EventDefinition, EventId, UserId } from '../claim.ts';
import { AppError } from '../errors.ts';
import { keyedClaimTtl } from './admit-claim.ts';
import { layoutOf, type EventLayout } from './event-layout.ts';
import { callGate } from './gate-call.ts';
import type { GateRedis } from './redis.ts';

/** What the gate needs to know of an event with a queue. */
export interface QueuedEvent {
  id: EventId;
  shards: number;
  /** The opening: pre-queue joiners are shuffled then, later joiners go behind them in arrival order. */
  startsAtMs: number;
  /** Joining opens. */
  prequeueAtMs: number;
  /** 0 when the event has no end. */
  endsAtMs: number;
}

/** How fast the window moves: the event's queue settings. */
export interface QueuePace {
  admitPerSecond: number;
  /** Hold the window while this many turns are open (started, unexpired, token unused); null: no hold. */
  maxActive: number | null;
  tokenTtlSeconds: number;
}

/** A checkpoint of the window: from `atMs` on, positions 1..window had their turn. */
export interface WindowCheckpoint {
  atMs: number;
  window: number;
}

export interface QueueState {
  /** Positions 1..floor(window) have had their turn; it has a fraction while it moves. */
  window: number;
  advancedAtMs: number;
  /** null until the opening. */
  openedAtMs: number | null;
  /** Joiners, every shard's. */
  joined: number;
  /** Users handed an admission token (each counts once). */
  tokensIssued: number;
  /** Admission tokens used for a claim at least once. */
  tokensUsed: number;
  /** Oldest first, over the last tokenTtl and a margin: turnAtMs(p) is the first whose window >= p. */
  log: WindowCheckpoint[];
  /** The queue's seed, from the opening on (it is a secret before); null before. */
  seed: string | null;
}

export type QueueJoin = { joined: boolean; phase: 'prequeue' | 'open' } | 'not_started';
export type QueuePlace = { position: number } | 'not_joined' | 'prequeue';

/** An event with a queue, as the store holds it (its end: the earlier of endsAt and a close). */
export type EventWithQueue = Pick<EventDefinition, 'id' | 'shards' | 'startsAt' | 'endsAt' | 'closedAt'> & {
  queue: QueuePace & { prequeueAt: Date };
};

/** The gate's view of an event with a queue. */
export function queuedEventOf(event: EventWithQueue): QueuedEvent {
  const ends = [event.endsAt, event.closedAt].filter((d): d is Date => d !== null).map((d) => d.getTime());
  return {
    id: event.id,
    shards: event.shards,
    startsAtMs: event.startsAt?.getTime() ?? 0,
    endsAtMs: ends.length > 0 ? Math.min(...ends) : 0,
    prequeueAtMs: event.queue.prequeueAt.getTime(),
  };
}

/** The log keeps this long past tokenTtl, so that a late poll still finds when its turn began. */
const logMarginMs = 60_000;

/** The queue's keys expire with the event's other keys, as the keyed claims do (admit-claim.lua). */
const expireAtMsOf = (event: QueuedEvent) =>
  event.endsAtMs > 0 ? event.endsAtMs + keyedClaimTtl.afterEndMs : Date.now() + keyedClaimTtl.withoutEndMs;

const badReply = (script: string, reply: unknown, eventId: EventId) =>
  new AppError('GATE_BAD_REPLY', `${script} returned ${JSON.stringify(reply)} for event ${eventId}`);

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

const parseCheckpoint = (entry: string): WindowCheckpoint => {
  const [atMs, window] = entry.split(':').map(Number);
  return { atMs: atMs!, window: window! };
};

/**
 * An event's queue in the gate (queue-design: the pre-queue, the shuffled opening, the paced window), on
 * the event's shards: a user's entry and place on the user's home shard, the window on shard 0.
 */
export function createQueueGate(redis: GateRedis) {
  const call = callGate;

  /** Sets the queue up on every shard: shard 0 keeps the first seed it is given, the others copy it. */
  async function setUp(event: QueuedEvent, layout: EventLayout): Promise<string> {
    const what = `the queue setup of event ${event.id}`;
    const args = (seed: string) => [seed, event.prequeueAtMs, event.startsAtMs, expireAtMsOf(event)];
    const seed = await call(what, () =>
      redis.setupQueue([layout.pool.queueMeta], args(randomBytes(32).toString('hex'))),
    );
    if (typeof seed !== 'string') throw badReply('setup-queue', seed, event.id);
    await call(what, () =>
      Promise.all(layout.shardKeys.slice(1).map((k) => redis.setupQueue([k.queueMeta], args(seed)))),
    );
    return seed;
  }

  /** Counts over every shard: joiners, users handed a token, tokens used. */
  async function countShards(layout: EventLayout, eventId: EventId) {
    const counts = await call(`the queue counts of event ${eventId}`, () =>
      Promise.all(
        layout.shardKeys.map((k) => Promise.all([redis.zCard(k.queue), redis.hLen(k.tokens), redis.hLen(k.jtis)])),
      ),
    );
    return {
      joined: sum(counts.map((c) => Number(c[0]))),
      tokensIssued: sum(counts.map((c) => Number(c[1]))),
      tokensUsed: sum(counts.map((c) => Number(c[2]))),
    };
  }

  return {
    /**
     * Sets the queue up on every shard (or follows its times after a change before the opening); returns
     * nothing, so the seed stays unknown outside the gate until the opening.
     */
    async setUp(event: QueuedEvent): Promise<void> {
      await setUp(event, layoutOf(event.id, event.shards));
    },

    /** Puts the user in the queue, once: one round trip on the user's home shard. */
    async join(event: QueuedEvent, userId: UserId): Promise<QueueJoin> {
      const layout = layoutOf(event.id, event.shards);
      const k = layout.shardKeys[layout.homeOf(userId)]!;
      const what = `join-queue for event ${event.id}`;
      const joinOnce = () => call(what, () => redis.joinQueue([k.queueMeta, k.queue], [userId, expireAtMsOf(event)]));
      let reply = await joinOnce();
      if (Array.isArray(reply) && reply[0] === 'NO_QUEUE') {
        await setUp(event, layout);
        reply = await joinOnce();
      }
      const [added, phase] = Array.isArray(reply) ? (reply as unknown[]) : [];
      if (added === 'NOT_STARTED') return 'not_started';
      if ((added === 0 || added === 1) && (phase === 'prequeue' || phase === 'open')) {
        return { joined: added === 1, phase };
      }
      throw badReply('join-queue', reply, event.id);
    },

    /**
     * The user's fixed position, from the opening on: 1 + the entries with a lower score over every shard
     * (ties within a shard broken by member). Computed once, then read from the home shard's places.
     */
    async placeOf(event: QueuedEvent, userId: UserId): Promise<QueuePlace> {
      const layout = layoutOf(event.id, event.shards);
      const home = layout.homeOf(userId);
      const k = layout.shardKeys[home]!;
      const what = `the queue place in event ${event.id}`;
      const expireAtMs = expireAtMsOf(event);
      const reply = await call(what, () =>
        redis.placeQueue([k.queueMeta, k.queue, k.places], [userId, layout.shards === 1 ? '1' : '', expireAtMs]),
      );
      const [kind, first, rank] = Array.isArray(reply) ? (reply as unknown[]) : [];
      if (kind === 'PLACE' && typeof first === 'number') return { position: first };
      if (kind === 'NOT_JOINED') return 'not_joined';
      if (kind === 'PREQUEUE') return 'prequeue';
      if (kind !== 'SCORE' || typeof first !== 'string' || typeof rank !== 'number') {
        throw badReply('place-queue', reply, event.id);
      }
      const below = await call(what, () =>
        Promise.all(
          layout.shardKeys
            .filter((_, shard) => shard !== home)
            .map((other) => redis.zCount(other.queue, '-inf', `(${first}`)),
        ),
      );
      const position = 1 + rank + sum(below);
      // Another process may have computed it meanwhile: the same number, whichever is kept.
      await call(what, async () => {
        await redis.hSetNX(k.places, userId, String(position));
        await redis.pExpireAt(k.places, expireAtMs);
      });
      return { position };
    },

    /** The queue's figures: the window and its log from shard 0, the counts from every shard. */
    async readState(event: QueuedEvent): Promise<QueueState> {
      const layout = layoutOf(event.id, event.shards);
      const what = `the queue state of event ${event.id}`;
      const [[window, advancedAtMs, openedAtMs], [seed, isOpen], log, counts] = await Promise.all([
        call(what, () => redis.hmGet(layout.pool.queueState, ['window', 'advancedAtMs', 'openedAtMs'])),
        call(what, () => redis.hmGet(layout.pool.queueMeta, ['seed', 'openedAtMs'])),
        call(`the queue log of event ${event.id}`, () => redis.lRange(layout.pool.queueWindowLog, 0, -1)),
        countShards(layout, event.id),
      ]);
      return {
        window: Number(window ?? 0),
        advancedAtMs: Number(advancedAtMs ?? 0),
        openedAtMs: openedAtMs ? Number(openedAtMs) : null,
        ...counts,
        log: log.map(parseCheckpoint),
        seed: isOpen && seed ? seed : null,
      };
    },

    /**
     * Moves the window on at the event's pace (advance-queue.lua, by Redis's clock), capped by the joiners
     * and held by maxActive; undefined before the opening.
     */
    async advance(event: QueuedEvent, pace: QueuePace): Promise<Omit<QueueState, 'log' | 'seed'> | undefined> {
      const layout = layoutOf(event.id, event.shards);
      const counts = await countShards(layout, event.id);
      const reply = await call(`advance-queue for event ${event.id}`, () =>
        redis.advanceQueue(
          [layout.pool.queueState, layout.pool.queueWindowLog],
          [
            pace.admitPerSecond,
            pace.maxActive ?? '',
            pace.tokenTtlSeconds * 1000,
            counts.joined,
            counts.tokensUsed,
            logMarginMs,
            expireAtMsOf(event),
          ],
        ),
      );
      const [window, advancedAtMs, openedAtMs] = Array.isArray(reply) ? (reply as unknown[]) : [];
      if (window === 'NOT_OPEN') return undefined;
      if (typeof window !== 'string' || typeof advancedAtMs !== 'number' || typeof openedAtMs !== 'number') {
        throw badReply('advance-queue', reply, event.id);
      }
      return { window: Number(window), advancedAtMs, openedAtMs, ...counts };
    },

    /**
     * The opening: every other shard first, then shard 0, which starts the window. Safe to repeat: the
     * seed (to reveal) and the pre-queue joiners each time, `isFirst` only for the call that opened it.
     */
    async open(event: QueuedEvent): Promise<{ seed: string; prequeued: number; isFirst: boolean }> {
      const layout = layoutOf(event.id, event.shards);
      await setUp(event, layout);
      const what = `open-queue for event ${event.id}`;
      const expireAtMs = expireAtMsOf(event);
      const openShard = async (shard: number) => {
        const k = layout.shardKeys[shard]!;
        const reply = await call(what, () =>
          redis.openQueue([k.queueMeta, k.queue, k.queueState, k.queueWindowLog], [shard === 0 ? '1' : '', expireAtMs]),
        );
        const [kind, seed, prequeued, isFirst] = Array.isArray(reply) ? (reply as unknown[]) : [];
        if (kind !== 'OPENED' || typeof seed !== 'string' || typeof prequeued !== 'number') {
          throw badReply('open-queue', reply, event.id);
        }
        return { seed, prequeued, isFirst: isFirst === 1 };
      };
      const others = await Promise.all(layout.shardKeys.slice(1).map((_, i) => openShard(i + 1)));
      const pool = await openShard(0);
      return {
        seed: pool.seed,
        prequeued: pool.prequeued + sum(others.map((o) => o.prequeued)),
        isFirst: pool.isFirst,
      };
    },

    /** Notes that the user was handed an admission token; true the first time (tokensIssued counts it). */
    async countTokenIssued(event: QueuedEvent, userId: UserId): Promise<boolean> {
      const layout = layoutOf(event.id, event.shards);
      const k = layout.shardKeys[layout.homeOf(userId)]!;
      return call(`the token count of event ${event.id}`, async () => {
        const isFirst = await redis.hSetNX(k.tokens, userId, String(Date.now()));
        await redis.pExpireAt(k.tokens, expireAtMsOf(event));
        return isFirst === 1 || (isFirst as unknown) === true;
      });
    },
  };
}

export type QueueGate = ReturnType<typeof createQueueGate>;

/** When position `position` had its turn, by the log; undefined when the log does not reach it yet. */
export function turnAtMsOf(log: readonly WindowCheckpoint[], position: number): number | undefined {
  return log.find((checkpoint) => checkpoint.window >= position)?.atMs;
}
