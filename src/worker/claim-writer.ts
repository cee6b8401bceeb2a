import type { AdmittedClaim } from '../claim.ts';
import type { FailedClaimInput, Store } from '../store/store.ts';

export interface ClaimBatch {
  claims: AdmittedClaim[];
  /** Poison messages that named a claim: recorded as failed claims with the reason. */
  poison: FailedClaimInput[];
}

export interface WriteOutcome {
  issued: number;
  duplicates: number;
  /** Claims recorded in failed_claims, each with its reason ("beyond_stock: ...", "poison: ..."). */
  failures: FailedClaimInput[];
}

/**
 * One batch: one multi-row insert of coupons, then the claims the database refused (and the poison)
 * into failed_claims in a statement of their own. An outage in between is safe: the batch is not
 * committed to Kafka yet, so it comes again, the coupons are duplicates and the refusals repeat.
 */
export async function writeClaims(store: Store, batch: ClaimBatch): Promise<WriteOutcome> {
  const result = await store.insertCoupons(batch.claims);
  const failures = [...batch.poison, ...result.refused];
  await store.recordFailedClaims(failures);
  return { issued: result.inserted, duplicates: result.duplicates, failures };
}
