-- 0002_coupons_clustered_on_ticket: coupons are stored in ticket order, (event_id, seq) the primary key.
-- InnoDB keeps a table's rows in its primary key's order and repeats that key in every other index. Keyed
-- by claim_id, a random UUID, each batch landed on random pages of the table and of all four indexes, each
-- entry carrying the 36-byte claim id; keyed by the ticket, which the gate hands out in order, the rows and
-- the foreign key's index are appended, and claim_id keeps its own unique key (coupons_one_per_claim), which
-- the worker's duplicate check and look-ups by claim use. The measurements: docs/benchmarks.md, "Coupon rows
-- at the database's speed". One statement (an online rebuild of the table), so it applies whole or not at
-- all; the rows it copies satisfied coupons_one_per_ticket and the claim_id primary key, the two keys it
-- replaces.
ALTER TABLE coupons
  DROP PRIMARY KEY,
  ADD PRIMARY KEY (event_id, seq),
  DROP INDEX coupons_one_per_ticket,
  ADD CONSTRAINT coupons_one_per_claim UNIQUE (claim_id);
