import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { AdmittedClaim } from '../../claim.ts';
import type { Executor } from '../dialect.ts';

/*
 * INSERT … SELECT FROM JSON_TABLE(…): the batch travels as one JSON parameter, MySQL's and MariaDB's
 * unnest (measured faster than a multi-row VALUES list after a look-up of the events: docs/benchmarks.md).
 * The LEFT JOIN makes an unknown event a NOT NULL refusal instead of a silently dropped row; event_id
 * has the key's collation, or the join would read every event for each row (EXPLAIN: BNL join). The coupon
 * id is a random UUID made here: the servers' UUID() is version 1, a clock and a MAC, easy to guess.
 */
const insertCoupons = (claims: AdmittedClaim[], isRedeliverySkipped: boolean) => {
  const rows = JSON.stringify(
    claims.map((c) => [randomUUID(), c.claimId, c.eventId, c.userId, c.seq, c.slot, c.admittedAtMs]),
  );
  return sql`
    INSERT INTO coupons (id, claim_id, event_id, user_id, seq, slot, event_stock, event_per_user_limit, admitted_at)
    SELECT u.id, u.claim_id, u.event_id, u.user_id, u.seq, u.slot, e.stock, e.per_user_limit,
      from_unixtime(u.admitted_at_ms / 1000)
    FROM JSON_TABLE(${rows}, '$[*]' COLUMNS (
      id char(36) PATH '$[0]', claim_id varchar(128) PATH '$[1]',
      event_id varchar(64) CHARACTER SET ascii COLLATE ascii_bin PATH '$[2]',
      user_id varchar(512) PATH '$[3]', seq int PATH '$[4]', slot int PATH '$[5]', admitted_at_ms bigint PATH '$[6]'
    )) AS u
    LEFT JOIN events e ON e.id = u.event_id
    ${isRedeliverySkipped ? sql`ON DUPLICATE KEY UPDATE claim_id = coupons.claim_id` : sql``}`;
};

/*
 * ON DUPLICATE KEY UPDATE skips a redelivered claim (Kafka redelivers), but it fires on any unique key:
 * a claim whose ticket or slot another claim holds would be skipped just as silently. So when fewer rows
 * landed than were sent, the claims that did not land are inserted again without it, and the database
 * names the key they conflict on (ticket_taken, slot_taken). INSERT IGNORE is no way out: it would turn
 * foreign key and CHECK violations into warnings and drop the row.
 */
async function insertSkippingRedelivered(db: Executor, claims: AdmittedClaim[]): Promise<number> {
  const result = await insertCoupons(claims, true).execute(db);
  const inserted = Number(result.numAffectedRows ?? 0);
  if (inserted === claims.length) return inserted;
  const landed = await db
    .selectFrom('coupons')
    .select('claim_id')
    .where(
      'claim_id',
      'in',
      claims.map((c) => c.claimId),
    )
    .execute();
  const isLanded = new Set(landed.map((row) => row.claim_id));
  const missing = claims.filter((c) => !isLanded.has(c.claimId));
  if (missing.length === 0) return inserted;
  const again = await insertCoupons(missing, false).execute(db);
  return inserted + Number(again.numAffectedRows ?? 0);
}

/** One transaction, so that a refused row leaves nothing of its batch written, as the Dialect promises. */
export function insertCouponBatch(db: Executor, claims: AdmittedClaim[]): Promise<number> {
  if (db.isTransaction) return insertSkippingRedelivered(db, claims);
  return db.transaction().execute((trx) => insertSkippingRedelivered(trx, claims));
}
