import type { AdmittedClaim } from '../../claim.ts';
import type { StoreContext } from '../dialect.ts';

export interface FailedClaimInput {
  claim: AdmittedClaim;
  reason: string;
}

/**
 * Records claims the database refused, in their own statement, for the retry job. A claim recorded
 * before (Kafka redelivered it) keeps its attempt count and state: only the retry job moves those.
 */
export async function recordFailedClaims({ db, dialect }: StoreContext, failures: FailedClaimInput[]): Promise<void> {
  if (failures.length === 0) return;
  await dialect.recordFailedClaims(
    db,
    failures.map(({ claim, reason }) => ({
      claim_id: claim.claimId,
      event_id: claim.eventId,
      user_id: claim.userId,
      seq: claim.seq,
      slot: claim.slot,
      admitted_at: new Date(claim.admittedAtMs),
      error: reason,
    })),
  );
}
