import type { EventId, IssuedTickets, UserId } from '../claim.ts';
import type { Database } from './database.ts';

export interface IssuedCoupon {
  couponId: string;
  claimId: string;
  seq: number;
  slot: number;
  issuedAt: Date;
}

export async function countCoupons(db: Database, eventId: EventId): Promise<number> {
  const row = await db
    .selectFrom('coupons')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('event_id', '=', eventId)
    .executeTakeFirstOrThrow();
  return row.count;
}

export async function findUserCoupons(db: Database, eventId: EventId, userId: UserId): Promise<IssuedCoupon[]> {
  const rows = await db
    .selectFrom('coupons')
    .select(['id', 'claim_id', 'seq', 'slot', 'issued_at'])
    .where('event_id', '=', eventId)
    .where('user_id', '=', userId)
    .orderBy('slot')
    .execute();
  return rows.map((r) => ({ couponId: r.id, claimId: r.claim_id, seq: r.seq, slot: r.slot, issuedAt: r.issued_at }));
}

/** The tickets the database holds for an event: what the gate is re-seeded with after Redis lost it. */
export async function loadIssuedTickets(db: Database, eventId: EventId): Promise<IssuedTickets> {
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
