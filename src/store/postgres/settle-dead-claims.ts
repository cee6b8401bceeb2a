import { sql } from 'kysely';
import type { DeadClaimRow, Executor } from '../dialect.ts';

/**
 * A dead claim's ticket is free when it lies within the event's stock and limit, and no coupon or claim
 * being retried holds that seq, or that slot of the user.
 */
export async function lockUnsettledDeadClaims(trx: Executor, limit: number): Promise<DeadClaimRow[]> {
  const result = await sql<DeadClaimRow>`
    SELECT d.claim_id, d.event_id, d.user_id, d.seq, d.slot, d.admitted_at, d.created_at,
      coalesce(d.seq BETWEEN 1 AND e.stock AND d.slot BETWEEN 1 AND e.per_user_limit, false)
      AND NOT EXISTS (SELECT 1 FROM coupons c WHERE c.event_id = d.event_id AND c.seq = d.seq)
      AND NOT EXISTS (SELECT 1 FROM coupons c WHERE c.event_id = d.event_id AND c.user_id = d.user_id AND c.slot = d.slot)
      AND NOT EXISTS (
        SELECT 1 FROM failed_claims r
        WHERE r.event_id = d.event_id AND r.state = 'retrying' AND r.claim_id <> d.claim_id
          AND (r.seq = d.seq OR (r.user_id = d.user_id AND r.slot = d.slot))
      ) AS is_ticket_free
    FROM failed_claims d
    LEFT JOIN events e ON e.id = d.event_id
    WHERE d.state = 'dead' AND d.ticket_returned IS NULL
    LIMIT ${limit}
    FOR UPDATE OF d SKIP LOCKED`.execute(trx);
  return result.rows;
}

export async function recordSettledTickets(
  trx: Executor,
  settled: Array<{ claimId: string; isReturned: boolean }>,
): Promise<void> {
  await sql`
    UPDATE failed_claims f SET ticket_returned = u.returned, updated_at = now()
    FROM unnest(${settled.map((s) => s.claimId)}::text[], ${settled.map((s) => s.isReturned)}::bool[])
      AS u(claim_id, returned)
    WHERE f.claim_id = u.claim_id`.execute(trx);
}
