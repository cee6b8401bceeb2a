import type { AdmittedClaim } from '../claim.ts';
import type { Database } from '../store/database.ts';
import { recordFailedClaims, type FailedClaimInput } from '../store/failed-claims.ts';
import { insertCoupons } from '../store/insert-coupons.ts';

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
export async function writeClaims(db: Database, batch: ClaimBatch): Promise<WriteOutcome> {
  const result = await insertCoupons(db, batch.claims);
  const failures = [...batch.poison, ...result.refused];
  await recordFailedClaims(db, failures);
  return { issued: result.inserted, duplicates: result.duplicates, failures };
}
