-- 0005_event_shards: how many gate shards an event is spread over (docs/scaling.md). The gate derives the
-- shards' Redis hash tags from the event id and this number alone, so a gate rebuilt from the database
-- after a Redis loss puts every user back on the same shard.
ALTER TABLE events
  ADD COLUMN shards smallint NOT NULL DEFAULT 1 CONSTRAINT events_shards_range CHECK (shards BETWEEN 1 AND 256);
