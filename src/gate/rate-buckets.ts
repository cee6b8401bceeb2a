import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { gateUnavailable } from './gate-call.ts';
import { rateBucketKeyPrefix } from './keys.ts';
import type { GateRedis } from './redis.ts';

export interface RateBucketOptions {
  /** Names the bucket's keys in Redis (e.g. "user-join"): buckets of one name are shared by every process. */
  name: string;
  /** Requests a client may make per window. */
  points: number;
  /** The window, counted from a client's first request in it. @defaultValue 1 */
  windowSeconds?: number;
}

export type BucketVerdict = { isAllowed: true } | { isAllowed: false; retryAfterMs: number };

/**
 * Buckets of requests per client (a user, an address), counted in Redis so that every API process spends
 * the same allowance: rate-limiter-flexible's fixed window, one atomic script call per request. Once a
 * client's allowance is spent, this process refuses it from memory until the window ends
 * (inMemoryBlockOnConsumed = points with no inMemoryBlockDuration: blocked for the window's rest), so a
 * flood costs one Redis call per process and window, not one per request.
 */
export function createRateBuckets(redis: GateRedis, { name, points, windowSeconds = 1 }: RateBucketOptions) {
  const limiter = new RateLimiterRedis({
    storeClient: redis,
    // node-redis (v4 and later): EVAL with its keys named, which a cluster client routes to the key's node.
    useRedisPackage: true,
    keyPrefix: rateBucketKeyPrefix(name),
    points,
    duration: windowSeconds,
    inMemoryBlockOnConsumed: points,
  });
  return {
    /** Takes one request from `client`'s bucket; throws GATE_UNAVAILABLE when Redis does not answer. */
    async take(client: string): Promise<BucketVerdict> {
      try {
        await limiter.consume(client);
        return { isAllowed: true };
      } catch (error) {
        // The library rejects with its RateLimiterRes for a spent bucket, and with the client's error otherwise.
        if (error instanceof RateLimiterRes) return { isAllowed: false, retryAfterMs: error.msBeforeNext };
        throw gateUnavailable(`the ${name} rate bucket`, error);
      }
    },
  };
}

export type RateBuckets = ReturnType<typeof createRateBuckets>;
