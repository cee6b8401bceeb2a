import { sql } from 'kysely';
import type { DeadClaimRow, Executor } from '../dialect.ts';
import { ticketIsFree } from '../free-ticket.ts';

/** Locks the dead claims whose tickets are not settled yet, each with whether its ticket is free (`ticketIsFree`). */
export async function lockUnsettledDeadClaims(trx: Executor, limit: number): Promise<DeadClaimRow[]> {
  const result = await sql<DeadClaimRow>`
    SELECT d.claim_id, d.event_id, d.user_id, d.seq, d.slot, d.admitted_at, d.created_at,
      -- No event (a LEFT JOIN miss) makes the terms NULL: such a ticket is not free.
      coalesce(${ticketIsFree}, false) AS is_ticket_free
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
