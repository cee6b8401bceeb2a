import { sql } from 'kysely';
import type { DeadClaimRow, Executor, FailedClaimTicketRow } from '../dialect.ts';
import { ticketIsFree } from '../free-ticket.ts';

/**
 * Locks the dead claims first, on their own: MariaDB has no FOR UPDATE OF, and locking the events row
 * as well would make SKIP LOCKED skip every claim of an event another statement holds. Then, without
 * locks, whether each ticket is free (`ticketIsFree`).
 */
export async function lockUnsettledDeadClaims(trx: Executor, limit: number): Promise<DeadClaimRow[]> {
  const locked = await sql<FailedClaimTicketRow>`
    SELECT claim_id, event_id, user_id, seq, slot, admitted_at, created_at
    FROM failed_claims
    WHERE state = 'dead' AND ticket_returned IS NULL
    LIMIT ${limit}
    FOR UPDATE SKIP LOCKED`.execute(trx);
  if (locked.rows.length === 0) return [];
  const ids = sql.join(locked.rows.map((row) => row.claim_id));
  const free = await sql<{ claim_id: string }>`
    SELECT d.claim_id
    FROM failed_claims d
    JOIN events e ON e.id = d.event_id
    WHERE d.claim_id IN (${ids}) AND ${ticketIsFree}`.execute(trx);
  const isFree = new Set(free.rows.map((row) => row.claim_id));
  return locked.rows.map((row) => ({ ...row, is_ticket_free: isFree.has(row.claim_id) }));
}

/** One statement: each claim's ticket_returned is whether its id is among those given back. */
export async function recordSettledTickets(
  trx: Executor,
  settled: Array<{ claimId: string; isReturned: boolean }>,
): Promise<void> {
  const returned = settled.filter((s) => s.isReturned).map((s) => s.claimId);
  await trx
    .updateTable('failed_claims')
    .set({
      ticket_returned: returned.length > 0 ? sql<boolean>`claim_id IN (${sql.join(returned)})` : false,
      updated_at: sql<Date>`now(3)`,
    })
    .where(
      'claim_id',
      'in',
      settled.map((s) => s.claimId),
    )
    .execute();
}
