import type { AdmittedClaim } from '../../claim.ts';
import type { StoreContext } from '../dialect.ts';
import { claimOfRow } from './rows.ts';

/** A failed claim as the retry job sees it. */
export interface FailedClaim {
  claim: AdmittedClaim;
  /** Attempts so far, the worker's first one included. */
  attempts: number;
  reason: string;
}

export interface LeaseOptions {
  limit: number;
  leaseMs: number;
  dueBy?: Date | undefined;
}

/**
 * Takes up to `limit` claims due for another attempt and leases them: their next attempt moves `leaseMs`
 * ahead, so other workers skip them (row locks while the statement runs, the lease after it), and a
 * worker that dies mid-attempt leaves them due again once the lease runs out. `dueBy` defaults to the
 * database's now; `leasedAt` is that now, for the next batch of the same pass.
 */
export async function leaseDueFailedClaims(
  { db, dialect }: StoreContext,
  { limit, leaseMs, dueBy }: LeaseOptions,
): Promise<{ claims: FailedClaim[]; leasedAt: Date }> {
  const { rows, leasedAt } = await dialect.leaseDueFailedClaims(db, { limit, leaseMs, dueBy });
  return {
    claims: rows.map((row) => ({ claim: claimOfRow(row), attempts: row.attempts, reason: row.error })),
    leasedAt: leasedAt ?? dueBy ?? new Date(),
  };
}
