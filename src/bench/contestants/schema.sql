-- The contestants' tables (db-lock, redis-lock, course), made by the bench in each one's fresh database.
-- The names and key columns match firstcome's own `events` and `coupons`, so one query checks every design.
-- Params: none. Returns nothing.
CREATE TABLE events (
  id text PRIMARY KEY,
  stock integer NOT NULL,
  per_user_limit integer NOT NULL DEFAULT 1,
  issued integer NOT NULL DEFAULT 0
);

CREATE TABLE coupons (
  id bigserial PRIMARY KEY,
  event_id text NOT NULL REFERENCES events (id),
  user_id text NOT NULL,
  claim_id text NOT NULL DEFAULT gen_random_uuid()::text,
  issued_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- The per-user holdings check reads this index; its users would have it.
CREATE INDEX coupons_event_user ON coupons (event_id, user_id);
