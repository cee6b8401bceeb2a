import { openMysqlCouponQueries } from './coupon-queries-mysql.ts';
import { openPostgresCouponQueries } from './coupon-queries-postgres.ts';

/**
 * What the correctness columns read from a design's database, written once per database
 * (coupon-queries-postgres.ts, coupon-queries-mysql.ts); coupon-checks.ts turns them into the columns.
 * Every design's tables, firstcome's own included, have coupons (event_id, user_id, claim_id, issued_at).
 */
export interface CouponQueries {
  countIssued(eventId: string): Promise<number>;
  issuedSpan(eventId: string): Promise<{ issued: number; first: Date | null; last: Date | null }>;
  /** Users holding more than `perUserLimit` coupons of the event. */
  countUsersOverLimit(eventId: string, perUserLimit: number): Promise<number>;
  /** Of these claim ids, how many have no coupon. */
  countMissingClaims(eventId: string, claimIds: string[]): Promise<number>;
  /** Of these admissions (a user once per 202), how many have no coupon, user by user. */
  countMissingByUser(eventId: string, userIds: string[]): Promise<number>;
  end(): Promise<void>;
}

/** Two connections to the database of `url`: MySQL/MariaDB for mysql://, else PostgreSQL. */
export const openCouponQueries = (url: string): CouponQueries =>
  new URL(url).protocol === 'mysql:' ? openMysqlCouponQueries(url) : openPostgresCouponQueries(url);
