-- schema.sql for MySQL 8.0.16+ and MariaDB 10.11+: the same tables, columns and index. Ids compare exactly
-- (ascii_bin, user_id as bytes), as PostgreSQL compares text; issued_at is UTC (every bench connection sets
-- time_zone '+00:00'), in milliseconds as firstcome's own coupons.issued_at on MySQL. The statement's time,
-- not the transaction's, like PostgreSQL's clock_timestamp() for a one-row insert.
-- Params: none. Returns nothing.
CREATE TABLE events (
  id varchar(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  stock int NOT NULL,
  per_user_limit int NOT NULL DEFAULT 1,
  issued int NOT NULL DEFAULT 0
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE coupons (
  id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
  event_id varchar(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  user_id varbinary(512) NOT NULL,
  claim_id varchar(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT (uuid()),
  issued_at datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  CONSTRAINT coupons_event FOREIGN KEY (event_id) REFERENCES events (id),
  -- The per-user holdings check reads this index; its users would have it.
  INDEX coupons_event_user (event_id, user_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
