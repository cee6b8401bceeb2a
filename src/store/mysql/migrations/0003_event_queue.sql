-- 0003_event_queue: a fair start's settings, as PostgreSQL's 0007 (docs/fair-start.md). A queued event
-- opens joining at queue_prequeue_at, before its start, and admits its queue at queue_admit_per_second;
-- queue_seed, the secret that ordered the pre-queue, is written at the opening so anyone can audit the
-- order afterwards. The settings are all set or all null. One statement, so it applies whole or not at all.
ALTER TABLE events
  ADD COLUMN queue_prequeue_at datetime(3),
  ADD COLUMN queue_admit_per_second int,
  ADD COLUMN queue_max_active int,
  ADD COLUMN queue_token_ttl_seconds int,
  ADD COLUMN queue_seed varchar(128) CHARACTER SET ascii COLLATE ascii_bin,
  ADD CONSTRAINT events_queue_pace_range CHECK (queue_admit_per_second BETWEEN 1 AND 100000),
  ADD CONSTRAINT events_queue_max_active_range CHECK (queue_max_active BETWEEN 1 AND 100000000),
  ADD CONSTRAINT events_queue_ttl_range CHECK (queue_token_ttl_seconds BETWEEN 10 AND 3600),
  ADD CONSTRAINT events_queue_whole CHECK (
    (queue_prequeue_at IS NULL) = (queue_admit_per_second IS NULL)
    AND (queue_prequeue_at IS NULL) = (queue_token_ttl_seconds IS NULL)
    AND (queue_prequeue_at IS NOT NULL OR (queue_max_active IS NULL AND queue_seed IS NULL))
  ),
  ADD CONSTRAINT events_queue_opens_before_start CHECK (
    queue_prequeue_at IS NULL OR (starts_at IS NOT NULL AND queue_prequeue_at <= starts_at)
  );
