import type { RowDataPacket } from 'mysql2/promise';
import { openMysqlPool } from './contestants/mysql-sql.ts';
import type { CouponQueries } from './coupon-queries.ts';

// The admitted ids travel as one JSON array, a table through JSON_TABLE (MySQL 8.0.4+, MariaDB 10.6+), as
// unnest() makes one on PostgreSQL. Claim ids compare as firstcome's claim_id (ascii_bin), user ids as bytes.
const admittedClaims = `JSON_TABLE(?, '$[*]' COLUMNS (claim_id varchar(128) CHARACTER SET ascii COLLATE ascii_bin PATH '$'))`;
const admittedUsers = `JSON_TABLE(?, '$[*]' COLUMNS (user_id varchar(512) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH '$'))`;

export function openMysqlCouponQueries(url: string): CouponQueries {
  const db = openMysqlPool(url, 2);
  const firstRow = async (text: string, values: Array<string | number>) =>
    (await db.query<RowDataPacket[]>(text, values))[0][0];
  const count = async (text: string, values: Array<string | number>) => Number((await firstRow(text, values))?.n ?? 0);
  return {
    countIssued: (eventId) => count('SELECT count(*) AS n FROM coupons WHERE event_id = ?', [eventId]),
    async issuedSpan(eventId) {
      const row = await firstRow(
        'SELECT count(*) AS issued, min(issued_at) AS first, max(issued_at) AS last FROM coupons WHERE event_id = ?',
        [eventId],
      );
      return {
        issued: Number(row?.issued ?? 0),
        first: (row?.first as Date | null | undefined) ?? null,
        last: (row?.last as Date | null | undefined) ?? null,
      };
    },
    countUsersOverLimit: (eventId, perUserLimit) =>
      count(
        `SELECT count(*) AS n FROM (
           SELECT user_id FROM coupons WHERE event_id = ? GROUP BY user_id HAVING count(*) > ?
         ) AS over_limit`,
        [eventId, perUserLimit],
      ),
    countMissingClaims: (eventId, claimIds) =>
      count(
        `SELECT count(*) AS n FROM ${admittedClaims} AS admitted
         WHERE NOT EXISTS (SELECT 1 FROM coupons c WHERE c.event_id = ? AND c.claim_id = admitted.claim_id)`,
        [JSON.stringify(claimIds), eventId],
      ),
    countMissingByUser: (eventId, userIds) =>
      count(
        `SELECT coalesce(sum(greatest(a.n - coalesce(c.n, 0), 0)), 0) AS n
         FROM (SELECT user_id, count(*) AS n FROM ${admittedUsers} AS u GROUP BY user_id) AS a
         LEFT JOIN (SELECT user_id, count(*) AS n FROM coupons WHERE event_id = ? GROUP BY user_id) AS c
           ON c.user_id = a.user_id`,
        [JSON.stringify(userIds), eventId],
      ),
    end: () => db.end(),
  };
}
