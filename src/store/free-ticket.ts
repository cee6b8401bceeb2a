import { sql } from 'kysely';

/**
 * Whether dead claim `d`'s ticket is free, given its event `e`: within the event's stock and limit, and
 * no coupon, nor another claim being retried, holds that seq or that slot of the user. One definition
 * for both dialects, which differ only in how they lock the claims they ask it about.
 */
export const ticketIsFree = sql<boolean>`d.seq BETWEEN 1 AND e.stock AND d.slot BETWEEN 1 AND e.per_user_limit
      AND NOT EXISTS (SELECT 1 FROM coupons c WHERE c.event_id = d.event_id AND c.seq = d.seq)
      AND NOT EXISTS (SELECT 1 FROM coupons c WHERE c.event_id = d.event_id AND c.user_id = d.user_id AND c.slot = d.slot)
      AND NOT EXISTS (
        SELECT 1 FROM failed_claims r
        WHERE r.event_id = d.event_id AND r.state = 'retrying' AND r.claim_id <> d.claim_id
          AND (r.seq = d.seq OR (r.user_id = d.user_id AND r.slot = d.slot))
      )`;
