import { sql } from 'kysely';
import type { Executor, LeasedClaimRow } from '../dialect.ts';

/** SKIP LOCKED keeps concurrent passes apart while this statement runs; the moved next_attempt_at after it. */
export async function leaseDueFailedClaims(
  db: Executor,
  { limit, leaseMs, dueBy }: { limit: number; leaseMs: number; dueBy: Date | undefined },
): Promise<{ rows: LeasedClaimRow[]; leasedAt: Date | undefined }> {
  const result = await sql<LeasedClaimRow & { leased_at: Date }>`
    WITH due AS (
      SELECT claim_id FROM failed_claims
      WHERE state = 'retrying' AND next_attempt_at <= coalesce(${dueBy ?? null}::timestamptz, now())
      ORDER BY next_attempt_at
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    )
    UPDATE failed_claims f
    SET next_attempt_at = now() + ${leaseMs} * interval '1 millisecond', updated_at = now()
    FROM due
    WHERE f.claim_id = due.claim_id
    RETURNING f.claim_id, f.event_id, f.user_id, f.seq, f.slot, f.admitted_at, f.created_at, f.attempts, f.error,
      now() AS leased_at`.execute(db);
  return { rows: result.rows, leasedAt: result.rows[0]?.leased_at };
}
