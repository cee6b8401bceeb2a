import type { EventId, UserId } from '../../claim.ts';
import type { Executor } from '../dialect.ts';

export interface IssuedCoupon {
  couponId: string;
  claimId: string;
  seq: number;
  slot: number;
  issuedAt: Date;
}

/** A user's coupons of an event, in slot order. */
export async function findUserCoupons(db: Executor, eventId: EventId, userId: UserId): Promise<IssuedCoupon[]> {
  const rows = await db
    .selectFrom('coupons')
    .select(['id', 'claim_id', 'seq', 'slot', 'issued_at'])
    .where('event_id', '=', eventId)
    .where('user_id', '=', userId)
    .orderBy('slot')
    .execute();
  return rows.map((r) => ({ couponId: r.id, claimId: r.claim_id, seq: r.seq, slot: r.slot, issuedAt: r.issued_at }));
}
