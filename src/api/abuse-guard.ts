import type { UserId } from '../claim.ts';
import { AppError, isAppError } from '../errors.ts';
import type { BucketVerdict, RateBuckets } from '../gate/open-gate.ts';
import type { Metrics, QueueRefusalReason } from '../metrics.ts';
import type { AuthRequest } from './auth-header.ts';
import { bucketOfAddress } from './client-address.ts';

/** The routes a guard counts apart: a user's polls never spend the allowance of their claim. */
export type GuardedRoute = 'join' | 'poll' | 'claim';

export interface AbuseGuardDeps {
  /** Per user (QUEUE_RATE_LIMIT_USER_PER_SEC); unset, users are not limited. */
  userBuckets?: RateBuckets | undefined;
  /** Per client address (QUEUE_RATE_LIMIT_IP_PER_SEC); unset, addresses are not limited. */
  addressBuckets?: RateBuckets | undefined;
  /** Who sent the request (client-address.ts: the peer, or the client behind trusted proxies). */
  clientAddressOf: (request: AuthRequest) => string;
  metrics: Pick<Metrics, 'queueRefusals'>;
  /** Hears that the buckets' Redis did not answer, and that the request went through unlimited. */
  onBucketsDown: (error: AppError) => void;
}

/**
 * Refuses a client that asks too often, with 429 rate_limited and the seconds until its bucket refills.
 * The address is charged first: a flood from one address, however many users it signs in as, is then
 * refused from this process's memory without a Redis call (rate-buckets.ts). When the buckets' Redis is
 * down the request goes through (fails open): a limit that no process can count is no reason to refuse
 * a user, and whatever the route itself needs from Redis answers 503 on its own.
 */
export function createAbuseGuard({
  userBuckets,
  addressBuckets,
  clientAddressOf,
  metrics,
  onBucketsDown,
}: AbuseGuardDeps) {
  const refusalsOf = (reason: QueueRefusalReason) => metrics.queueRefusals.labels(reason);
  const refused = { user: refusalsOf('rate_limited_user'), ip: refusalsOf('rate_limited_ip') };

  async function take(buckets: RateBuckets, client: string): Promise<BucketVerdict> {
    try {
      return await buckets.take(client);
    } catch (error) {
      if (!isAppError(error, 'GATE_UNAVAILABLE')) throw error;
      onBucketsDown(error);
      return { isAllowed: true };
    }
  }

  const refuse = (who: 'user' | 'ip', retryAfterMs: number): never => {
    refused[who].inc();
    const retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    throw new AppError(
      'RATE_LIMITED',
      who === 'user'
        ? `Too many requests from this user; try again in ${retryAfterSeconds} s.`
        : `Too many requests from this address; try again in ${retryAfterSeconds} s.`,
      { retryAfterSeconds },
    );
  };

  return {
    /** Charges the request to its address and its user on `route`; throws RATE_LIMITED when either is spent. */
    async check(request: AuthRequest, userId: UserId, route: GuardedRoute): Promise<void> {
      if (addressBuckets) {
        const verdict = await take(addressBuckets, `${route}:${bucketOfAddress(clientAddressOf(request))}`);
        if (!verdict.isAllowed) refuse('ip', verdict.retryAfterMs);
      }
      if (userBuckets) {
        const verdict = await take(userBuckets, `${route}:${userId}`);
        if (!verdict.isAllowed) refuse('user', verdict.retryAfterMs);
      }
    },
  };
}

export type AbuseGuard = ReturnType<typeof createAbuseGuard>;
