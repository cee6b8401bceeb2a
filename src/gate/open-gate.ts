import type { EventId } from '../claim.ts';
import { subscribeGateChanges } from './gate-changes.ts';
import { createGate, type Gate, type GateOptions } from './gate.ts';
import type { ReplicaWaitOptions } from './replica-wait.ts';
import { activeEventsKey } from './keys.ts';
import { createOutboxConsumer, type OutboxConsumer, type OutboxConsumerOptions } from './outbox.ts';
import { connectRedis, createRedis, type GateRedis, type RedisOptions } from './redis.ts';
import { checkRedisSettings } from './redis-settings.ts';
import { createRateBuckets, type RateBucketOptions, type RateBuckets } from './rate-buckets.ts';
import { createUsedSolutions, type UsedSolutions } from './used-solutions.ts';
import type { VerdictCache } from './verdict-cache.ts';

export type { RedisOptions } from './redis.ts';
export type { BucketVerdict, RateBucketOptions, RateBuckets } from './rate-buckets.ts';
export type { UsedSolutions } from './used-solutions.ts';

/** The gate on a connection of its own: what a process role holds, and the only way outside src/gate to Redis. */
export type GateHandle = Gate & {
  /** The relay's reader of the outbox streams. */
  createOutboxConsumer(options: OutboxConsumerOptions): OutboxConsumer;
  /** Keeps `cache` in line with closes and restocks published by any process; returns the unsubscribe. */
  subscribeChanges(cache: VerdictCache, onError: (error: unknown) => void): Promise<() => Promise<void>>;
  /** Requests per client and window, counted for every process of the deployment (rate-buckets.ts). */
  createRateBuckets(options: RateBucketOptions): RateBuckets;
  /** The proof-of-work solutions used so far, each usable once (used-solutions.ts). */
  usedSolutions: UsedSolutions;
  /** Deletes everything the gate holds for these events (tests and the benchmark clean up with it). */
  deleteEvents(eventIds: EventId[]): Promise<void>;
  /** Refuses a Redis that may evict the gate's keys (REDIS_EVICTS_KEYS); returns warnings (redis-settings.ts). */
  checkSettings(options: { isProduction: boolean }): Promise<string[]>;
  /** Lets commands in flight finish, then disconnects; a second call does nothing. */
  close(): Promise<void>;
};

/** A handle on a connected client, for tests that also look at Redis itself. */
export function createGateHandle(redis: GateRedis, options: GateOptions = {}): GateHandle {
  const gate = createGate(redis, options);
  return {
    ...gate,
    createOutboxConsumer: (options) => createOutboxConsumer(redis, options),
    subscribeChanges: (cache, onError) => subscribeGateChanges(redis, cache, onError),
    checkSettings: (options) => checkRedisSettings(redis, options),
    createRateBuckets: (options) => createRateBuckets(redis, options),
    usedSolutions: createUsedSolutions(redis),
    async deleteEvents(eventIds) {
      for (const eventId of eventIds) {
        const layout = await gate.layoutOrFirst(eventId);
        // One shard at a time: a shard's keys share a cluster slot, different shards may not.
        for (const keys of layout.shardKeys) await redis.del(Object.values(keys));
        await redis.sRem(activeEventsKey, [...layout.tags]);
      }
      gate.forget(eventIds);
    },
    async close() {
      if (redis.isOpen) await redis.close();
      else redis.destroy();
    },
  };
}

/** Connects to Redis (a single node, or a cluster when `clusterNodes` is set); `onError` hears reconnects. */
export async function openGate(
  options: RedisOptions & { replicaWait?: ReplicaWaitOptions | undefined },
  onError: (error: unknown) => void,
): Promise<GateHandle> {
  return createGateHandle(await connectRedis(createRedis(options), onError), { replicaWait: options.replicaWait });
}
