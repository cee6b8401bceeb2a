import { type BackoffOptions, backoffMs } from './backoff.ts';

/**
 * Refusals that no later attempt can change: the claim's ticket lies beyond the event's stock or the
 * user's limit, its event does not exist, or its ticket or slot belongs to another claim (a coupon of
 * the same claim would have been a duplicate under ON CONFLICT (claim_id), never a refusal).
 */
const finalCauses = new Set(['beyond_stock', 'beyond_limit', 'unknown_event', 'ticket_taken', 'slot_taken']);

/** The short cause at the head of a refusal reason ("beyond_stock: new row violates ..."). */
export const causeOf = (reason: string) => reason.split(':', 1)[0] ?? reason;

export const isFinalRefusal = (reason: string) => finalCauses.has(causeOf(reason));

export interface RetryPolicy extends BackoffOptions {
  /** Attempts a claim gets in all, the worker's first included, before it is given up as dead. */
  maxAttempts: number;
}

export type RetryDecision = { state: 'dead' } | { state: 'retrying'; delayMs: number };

/** What to do with a claim refused again at attempt `attempt` (1 is the worker's first). */
export function decideAfterRefusal(
  reason: string,
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): RetryDecision {
  if (isFinalRefusal(reason) || attempt >= policy.maxAttempts) return { state: 'dead' };
  return { state: 'retrying', delayMs: backoffMs(attempt, policy, random) };
}
