import type { EventId } from '../claim.ts';
import type { FailedClaim, RetryOutcome, Store } from '../store/store.ts';
import type { Gate } from '../gate/gate.ts';
import { decideAfterRefusal, type RetryPolicy } from './retry-policy.ts';

export interface RetryPassOptions extends RetryPolicy {
  /** Claims per database round. */
  batchSize: number;
  /** How long a pass may hold claims before another worker may take them, in ms. */
  leaseMs: number;
}

export interface RetryPassSummary {
  issued: number;
  retrying: number;
  dead: number;
  /** Tickets of dead claims the gate took back, to admit again. */
  ticketsReturned: number;
  /** Tickets of dead claims not given back: the database holds them for other claims. */
  ticketsKept: number;
}

export interface RetryPassDeps {
  store: Store;
  gate: Gate;
}

/**
 * One pass of the retry job (the course design's batch over FailedEvent): every failed claim due now
 * gets one more attempt at its coupon; then the tickets of claims that died are settled with the gate.
 * Several workers may run passes at once: rows are leased and locked with SKIP LOCKED.
 */
export async function redriveFailedClaims(
  deps: RetryPassDeps,
  options: RetryPassOptions,
  random: () => number = Math.random,
): Promise<RetryPassSummary> {
  const summary: RetryPassSummary = { issued: 0, retrying: 0, dead: 0, ticketsReturned: 0, ticketsKept: 0 };
  // Claims rescheduled during this pass are not due again before it ends.
  let dueBy: Date | undefined;
  for (;;) {
    const lease = await deps.store.leaseDueFailedClaims({ limit: options.batchSize, leaseMs: options.leaseMs, dueBy });
    dueBy ??= lease.leasedAt;
    if (lease.claims.length === 0) break;
    const outcomes = await attemptAgain(deps.store, lease.claims, options, random);
    await deps.store.recordRetryOutcomes(outcomes);
    for (const outcome of outcomes) summary[outcome.state] += 1;
    if (lease.claims.length < options.batchSize) break;
  }
  await settleDeadTickets(deps, options.batchSize, summary);
  return summary;
}

async function attemptAgain(
  store: Store,
  failed: FailedClaim[],
  policy: RetryPolicy,
  random: () => number,
): Promise<RetryOutcome[]> {
  const result = await store.insertCoupons(failed.map((f) => f.claim));
  const refusals = new Map(result.refused.map((r) => [r.claim.claimId, r.reason]));
  return failed.map(({ claim, attempts, reason: previous }) => {
    const attempt = attempts + 1;
    const reason = refusals.get(claim.claimId);
    // Inserted now, or its coupon was there already (a redelivery landed): issued either way.
    if (reason === undefined) {
      return { claimId: claim.claimId, state: 'issued', attempts: attempt, reason: previous, delayMs: 0 };
    }
    const decision = decideAfterRefusal(reason, attempt, policy, random);
    return {
      claimId: claim.claimId,
      state: decision.state,
      attempts: attempt,
      reason,
      delayMs: decision.state === 'retrying' ? decision.delayMs : 0,
    };
  });
}

/**
 * Gives the gate back the tickets of dead claims whose ticket and slot are really free in the database
 * (promise 4), then tells every API process to forget that those events sold out. A dead claim whose
 * ticket another claim holds stays counted: Redis lost data, and reconcile --repair recounts the gate.
 */
async function settleDeadTickets(deps: RetryPassDeps, batchSize: number, summary: RetryPassSummary): Promise<void> {
  const restocked = new Set<EventId>();
  try {
    for (;;) {
      const { returned, kept } = await deps.store.settleDeadClaims(batchSize, async ({ claim }) => {
        const isReturned = await deps.gate.returnTicket(claim);
        if (isReturned) restocked.add(claim.eventId);
        return isReturned;
      });
      summary.ticketsReturned += returned.length;
      summary.ticketsKept += kept.length;
      if (returned.length + kept.length < batchSize) break;
    }
  } finally {
    for (const eventId of restocked) await deps.gate.publishChange({ kind: 'restocked', eventId });
  }
}
