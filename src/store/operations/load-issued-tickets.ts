import type { EventId, IssuedTickets, UserId } from '../../claim.ts';
import type { Executor } from '../dialect.ts';

/** The tickets the database holds for an event: what the gate is re-seeded with after Redis lost it. */
export async function loadIssuedTickets(db: Executor, eventId: EventId): Promise<IssuedTickets> {
  const rows = await db
    .selectFrom('coupons')
    .select(['claim_id', 'user_id', 'seq', 'slot'])
    .where('event_id', '=', eventId)
    .unionAll(
      db
        .selectFrom('failed_claims')
        .select(['claim_id', 'user_id', 'seq', 'slot'])
        .where('event_id', '=', eventId)
        .where('state', '=', 'retrying'),
    )
    .execute();
  const claimsByUser = new Map<UserId, Array<{ claimId: string; slot: number; seq: number }>>();
  let maxSeq = 0;
  for (const row of rows) {
    maxSeq = Math.max(maxSeq, row.seq);
    const held = claimsByUser.get(row.user_id) ?? [];
    held.push({ claimId: row.claim_id, slot: row.slot, seq: row.seq });
    claimsByUser.set(row.user_id, held);
  }
  return { maxSeq, admitted: rows.length, claimsByUser };
}
