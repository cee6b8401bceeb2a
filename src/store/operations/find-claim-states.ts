import type { Executor } from '../dialect.ts';
import type { FailedClaimState } from '../schema.ts';

/** Where the database has a claim: a coupon, or a failed claim in its state. */
export type ClaimState = 'coupon' | FailedClaimState;

/**
 * The claims of `claimIds` the database holds, with where (a coupon wins over a failed claim's state):
 * a point look-up for the few claims a check found in flight, to see whether they landed since.
 */
export async function findClaimStates(db: Executor, claimIds: string[]): Promise<Map<string, ClaimState>> {
  const states = new Map<string, ClaimState>();
  // Bounded IN lists: a look-up never sends one statement with a huge parameter list.
  for (let i = 0; i < claimIds.length; i += 1000) {
    const ids = claimIds.slice(i, i + 1000);
    const [failed, coupons] = await Promise.all([
      db.selectFrom('failed_claims').select(['claim_id', 'state']).where('claim_id', 'in', ids).execute(),
      db.selectFrom('coupons').select('claim_id').where('claim_id', 'in', ids).execute(),
    ]);
    for (const row of failed) states.set(row.claim_id, row.state);
    for (const row of coupons) states.set(row.claim_id, 'coupon');
  }
  return states;
}
