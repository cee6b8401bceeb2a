import { type Selectable, sql } from 'kysely';
import type { EventId, UserId } from '../claim.ts';
import type { CouponsTable, FailedClaimsTable } from './schema.ts';
import { dialectOf } from './store.ts';

export type CouponRecord = Selectable<CouponsTable>;
export type FailedClaimRecord = Selectable<FailedClaimsTable>;

/**
 * For tests only: every column of the rows the operations wrote, and a database that refuses rows as bad
 * data would. Tests that check the database itself (promises 1–3, the retry job's bookkeeping) read it
 * here, so that SQL stays in the store.
 */
export interface StoreProbe {
  /** An event's coupons, in ticket order. */
  coupons(eventId: EventId): Promise<CouponRecord[]>;
  /** Failed claims, by claim id: every one, or those of an event, with those ids, or whose id starts so. */
  failedClaims(filter?: {
    eventId?: EventId;
    claimIds?: string[];
    claimIdPrefix?: string;
  }): Promise<FailedClaimRecord[]>;
  /** Makes the coupons table refuse the user's rows (constraint refuses_<userId>) until `restore`. */
  refuseCouponsOf(userId: UserId): Promise<{ restore(): Promise<void> }>;
  destroy(): Promise<void>;
}

export function createStoreProbe(url: string): StoreProbe {
  const db = dialectOf(url).connect({ url, poolSize: 1 });
  return {
    coupons: (eventId) => db.selectFrom('coupons').selectAll().where('event_id', '=', eventId).orderBy('seq').execute(),

    async failedClaims({ eventId, claimIds, claimIdPrefix } = {}) {
      let query = db.selectFrom('failed_claims').selectAll().orderBy('claim_id');
      if (eventId !== undefined) query = query.where('event_id', '=', eventId);
      if (claimIds !== undefined) query = query.where('claim_id', 'in', claimIds);
      if (claimIdPrefix !== undefined) query = query.where('claim_id', 'like', `${claimIdPrefix}%`);
      return query.execute();
    },

    async refuseCouponsOf(userId) {
      const constraint = sql.id(`refuses_${userId}`);
      await sql`ALTER TABLE coupons ADD CONSTRAINT ${constraint} CHECK (user_id <> ${sql.lit(userId)})`.execute(db);
      return {
        restore: () => sql`ALTER TABLE coupons DROP CONSTRAINT ${constraint}`.execute(db).then(() => undefined),
      };
    },

    destroy: () => db.destroy(),
  };
}
