-- 0006_coupon_terms_checked_per_statement: the composite foreign key's work, done once per statement.
-- The foreign key checked every coupon row on its own (a trigger and a SELECT … FOR KEY SHARE on the
-- event per row), the largest part of what the worker's batched insert paid for its constraints
-- (docs/benchmarks.md, "Coupon rows at the database's speed"). Promise 6 needs only what it proved: that
-- event_stock and event_per_user_limit, which 0001's CHECKs on seq and slot trust, are the event's own.
-- Two triggers keep that:
-- - after each INSERT or UPDATE statement on coupons, one anti-join of the statement's rows against events
--   refuses the statement (SQLSTATE 23503, constraint coupons_event_terms) if any row names an event that
--   does not exist or terms that are not its own;
-- - an event's id, stock and per_user_limit never change and an event is never deleted or truncated
--   (the store only ever closes one), so terms checked when a coupon was written stay true: this is what
--   the foreign key's locks on events achieved, without a lock per row.
-- Existing rows satisfied the foreign key until this migration, in the same transaction, dropped it.
ALTER TABLE coupons DROP CONSTRAINT coupons_event_id_event_stock_event_per_user_limit_fkey;

CREATE FUNCTION coupons_check_event_terms() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  stray record;
BEGIN
  SELECT n.event_id, n.event_stock, n.event_per_user_limit INTO stray
  FROM new_coupons n
  LEFT JOIN events e ON e.id = n.event_id AND e.stock = n.event_stock AND e.per_user_limit = n.event_per_user_limit
  WHERE e.id IS NULL
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'coupon for event % with stock % and limit %: no such event has those terms',
      stray.event_id, stray.event_stock, stray.event_per_user_limit
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'coupons_event_terms', TABLE = 'coupons';
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER coupons_event_terms_on_insert AFTER INSERT ON coupons
  REFERENCING NEW TABLE AS new_coupons FOR EACH STATEMENT EXECUTE FUNCTION coupons_check_event_terms();
CREATE TRIGGER coupons_event_terms_on_update AFTER UPDATE ON coupons
  REFERENCING NEW TABLE AS new_coupons FOR EACH STATEMENT EXECUTE FUNCTION coupons_check_event_terms();

CREATE FUNCTION events_keep_terms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- NEW exists only for UPDATE, so the two tests cannot share one condition.
  IF TG_OP = 'UPDATE' THEN
    IF (NEW.id, NEW.stock, NEW.per_user_limit) = (OLD.id, OLD.stock, OLD.per_user_limit) THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION 'an event''s id, stock and per-user limit never change, and an event is never deleted (% on events)', TG_OP
    USING ERRCODE = 'restrict_violation', CONSTRAINT = 'events_terms_fixed', TABLE = 'events';
END $$;

CREATE TRIGGER events_terms_fixed BEFORE UPDATE OF id, stock, per_user_limit OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION events_keep_terms();
CREATE TRIGGER events_never_truncated BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION events_keep_terms();
