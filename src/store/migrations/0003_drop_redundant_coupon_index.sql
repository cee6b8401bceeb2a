-- 0003_drop_redundant_coupon_index: coupons_one_per_user_slot (event_id, user_id, slot) already serves
-- look-ups by (event_id, user_id); a second index only slows the worker's batched inserts.
DROP INDEX IF EXISTS coupons_event_user;
