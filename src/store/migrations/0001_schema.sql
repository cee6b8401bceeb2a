-- 0001_schema: events, coupons with numbered tickets, and failed claims.
-- The numbered tickets make promises 1 and 2 hold in the database itself: a coupon row carries its
-- ticket `seq` (1..stock) and the user's `slot` (1..per_user_limit). Each is unique per event (per
-- user for slots), and the composite foreign key pins event_stock / event_per_user_limit to the event's
-- real values, so the checks below cannot be fooled by a wrong figure in the insert.
CREATE TABLE events (
  id text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{1,64}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  stock integer NOT NULL CHECK (stock BETWEEN 1 AND 100000000),
  per_user_limit integer NOT NULL DEFAULT 1 CHECK (per_user_limit BETWEEN 1 AND 1000),
  starts_at timestamptz,
  ends_at timestamptz,
  closed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (ends_at IS NULL OR starts_at IS NULL OR ends_at > starts_at),
  UNIQUE (id, stock, per_user_limit)
);

CREATE TABLE coupons (
  id text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  event_id text NOT NULL,
  user_id text NOT NULL,
  claim_id text NOT NULL UNIQUE,
  seq integer NOT NULL,
  slot integer NOT NULL,
  event_stock integer NOT NULL,
  event_per_user_limit integer NOT NULL,
  admitted_at timestamptz,
  issued_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (event_id, event_stock, event_per_user_limit) REFERENCES events (id, stock, per_user_limit),
  CONSTRAINT coupons_seq_within_stock CHECK (seq BETWEEN 1 AND event_stock),
  CONSTRAINT coupons_slot_within_limit CHECK (slot BETWEEN 1 AND event_per_user_limit),
  CONSTRAINT coupons_one_per_ticket UNIQUE (event_id, seq),
  CONSTRAINT coupons_one_per_user_slot UNIQUE (event_id, user_id, slot)
);
CREATE INDEX coupons_event_user ON coupons (event_id, user_id);

CREATE TABLE failed_claims (
  claim_id text PRIMARY KEY,
  event_id text NOT NULL,
  user_id text NOT NULL,
  seq integer NOT NULL,
  slot integer NOT NULL,
  admitted_at timestamptz,
  error text NOT NULL,
  attempts integer NOT NULL DEFAULT 1,
  -- retrying: the retry job will try again at next_attempt_at; dead: can never be issued (its ticket
  -- was given back to the gate); issued: a later attempt succeeded.
  state text NOT NULL DEFAULT 'retrying' CHECK (state IN ('retrying', 'dead', 'issued')),
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX failed_claims_due ON failed_claims (next_attempt_at) WHERE state = 'retrying';
CREATE INDEX failed_claims_event_user ON failed_claims (event_id, user_id);
