-- 0001_schema: events, coupons with numbered tickets, and failed claims, for MySQL 8.0.16+ and MariaDB 10.11+.
-- The same tables, columns and guarantees as PostgreSQL's migrations 0001–0005: a coupon row carries its
-- ticket `seq` (1..stock) and the user's `slot` (1..per_user_limit), each unique per event (per user for
-- slots), and the composite foreign key pins event_stock / event_per_user_limit to the event's real
-- values, so the CHECK constraints below cannot be fooled by a wrong figure in the insert.
-- Ids are ascii_bin (exact, case-sensitive, as PostgreSQL compares text); user_id is VARBINARY because
-- every *_bin collation both servers share ignores trailing spaces, which would make 'al' and 'al ' one
-- user. Times are DATETIME(3) in UTC (every connection sets time_zone '+00:00'): milliseconds, as a JS
-- Date holds, so a time read back compares equal to the one stored. DDL is not transactional here: a
-- file that fails half-way stays half-applied, so each statement must be safe to reason about alone.
CREATE TABLE events (
  id varchar(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  name varchar(200) NOT NULL,
  stock int NOT NULL,
  per_user_limit int NOT NULL DEFAULT 1,
  shards smallint NOT NULL DEFAULT 1,
  starts_at datetime(3),
  ends_at datetime(3),
  closed_at datetime(3),
  created_at datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  CONSTRAINT events_id_format CHECK (id REGEXP '^[A-Za-z0-9_-]{1,64}$'),
  CONSTRAINT events_name_length CHECK (char_length(name) BETWEEN 1 AND 200),
  CONSTRAINT events_stock_range CHECK (stock BETWEEN 1 AND 100000000),
  CONSTRAINT events_per_user_limit_range CHECK (per_user_limit BETWEEN 1 AND 1000),
  CONSTRAINT events_shards_range CHECK (shards BETWEEN 1 AND 256),
  CONSTRAINT events_ends_after_start CHECK (ends_at IS NULL OR starts_at IS NULL OR ends_at > starts_at),
  CONSTRAINT events_ticket_terms UNIQUE (id, stock, per_user_limit)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- claim_id is the primary key: every coupon row is one claim, and the worker's duplicate check needs it.
-- The worker sets id to a random UUID; the default (version 1: a clock and a MAC) serves only rows written by hand.
CREATE TABLE coupons (
  id char(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT (uuid()),
  event_id varchar(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  user_id varbinary(512) NOT NULL,
  claim_id varchar(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  seq int NOT NULL,
  slot int NOT NULL,
  event_stock int NOT NULL,
  event_per_user_limit int NOT NULL,
  admitted_at datetime(3),
  issued_at datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  CONSTRAINT coupons_event FOREIGN KEY (event_id, event_stock, event_per_user_limit)
    REFERENCES events (id, stock, per_user_limit),
  CONSTRAINT coupons_seq_within_stock CHECK (seq BETWEEN 1 AND event_stock),
  CONSTRAINT coupons_slot_within_limit CHECK (slot BETWEEN 1 AND event_per_user_limit),
  CONSTRAINT coupons_one_per_ticket UNIQUE (event_id, seq),
  CONSTRAINT coupons_one_per_user_slot UNIQUE (event_id, user_id, slot)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- state: retrying (the retry job tries again at next_attempt_at), dead (can never be issued),
-- issued (a later attempt succeeded). ticket_returned, for a dead claim: NULL until the retry job settles
-- its ticket with the gate, then whether the gate took it back (see PostgreSQL's 0002).
CREATE TABLE failed_claims (
  claim_id varchar(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  event_id varchar(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  user_id varbinary(512) NOT NULL,
  seq int NOT NULL,
  slot int NOT NULL,
  admitted_at datetime(3),
  error text NOT NULL,
  attempts int NOT NULL DEFAULT 1,
  state varchar(8) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT 'retrying',
  next_attempt_at datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  created_at datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  ticket_returned boolean,
  CONSTRAINT failed_claims_state CHECK (state IN ('retrying', 'dead', 'issued')),
  -- No partial indexes here: the state leads, so the retry job's scans read only the rows it wants.
  INDEX failed_claims_due (state, next_attempt_at),
  INDEX failed_claims_unsettled (state, ticket_returned),
  INDEX failed_claims_event_user (event_id, user_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
