-- 0004_coupons_keyed_by_claim: claim_id becomes the primary key, and the random-UUID index on id goes.
-- Every coupon row is one claim, and claim_id is what the worker's ON CONFLICT needs anyway; a second
-- unique b-tree over random values cost the batched insert about a fifth of its speed. id keeps its
-- random UUID default (a coupon id that cannot be guessed), unique by construction.
ALTER TABLE coupons
  DROP CONSTRAINT coupons_pkey,
  DROP CONSTRAINT coupons_claim_id_key,
  ADD CONSTRAINT coupons_pkey PRIMARY KEY (claim_id);
