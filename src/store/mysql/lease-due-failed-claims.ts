import { sql } from 'kysely';
import type { Executor, LeasedClaimRow } from '../dialect.ts';

/**
 * No UPDATE … RETURNING on MySQL: the due rows are locked (SKIP LOCKED keeps concurrent passes apart)
 * and read, then moved, in one transaction; the moved next_attempt_at keeps passes apart after it.
 * NOW(3) is read once, so the lease and `leasedAt` are the same instant.
 */
export function leaseDueFailedClaims(
  db: Executor,
  { limit, leaseMs, dueBy }: { limit: number; leaseMs: number; dueBy: Date | undefined },
): Promise<{ rows: LeasedClaimRow[]; leasedAt: Date | undefined }> {
  return db.transaction().execute(async (trx) => {
    const rows = await sql<LeasedClaimRow & { leased_at: Date }>`
      SELECT claim_id, event_id, user_id, seq, slot, admitted_at, created_at, attempts, error, now(3) AS leased_at
      FROM failed_claims
      WHERE state = 'retrying' AND next_attempt_at <= CAST(coalesce(${dueBy ?? null}, now(3)) AS DATETIME(3))
      ORDER BY next_attempt_at
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED`
      .execute(trx)
      .then((result) => result.rows);
    const leasedAt = rows[0]?.leased_at;
    if (!leasedAt) return { rows: [], leasedAt: undefined };
    await trx
      .updateTable('failed_claims')
      .set({
        next_attempt_at: sql<Date>`${leasedAt} + INTERVAL ${leaseMs * 1000} MICROSECOND`,
        updated_at: leasedAt,
      })
      .where(
        'claim_id',
        'in',
        rows.map((row) => row.claim_id),
      )
      .execute();
    return { rows: rows.map(({ leased_at: _, ...row }) => row), leasedAt };
  });
}
