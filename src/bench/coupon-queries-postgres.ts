import pg from 'pg';
import type { CouponQueries } from './coupon-queries.ts';

export function openPostgresCouponQueries(url: string): CouponQueries {
  const db = new pg.Pool({ connectionString: url, max: 2 });
  db.on('error', () => undefined);
  const count = async (text: string, values: unknown[]) =>
    (await db.query<{ n: number }>(text, values)).rows[0]?.n ?? 0;
  return {
    countIssued: (eventId) => count('SELECT count(*)::int AS n FROM coupons WHERE event_id = $1', [eventId]),
    async issuedSpan(eventId) {
      const result = await db.query<{ issued: number; first: Date | null; last: Date | null }>(
        'SELECT count(*)::int AS issued, min(issued_at) AS first, max(issued_at) AS last FROM coupons WHERE event_id = $1',
        [eventId],
      );
      return result.rows[0] ?? { issued: 0, first: null, last: null };
    },
    countUsersOverLimit: (eventId, perUserLimit) =>
      count(
        `SELECT count(*)::int AS n FROM (
           SELECT user_id FROM coupons WHERE event_id = $1 GROUP BY user_id HAVING count(*) > $2
         ) AS over_limit`,
        [eventId, perUserLimit],
      ),
    countMissingClaims: (eventId, claimIds) =>
      count(
        `SELECT count(*)::int AS n FROM unnest($2::text[]) AS admitted (claim_id)
         WHERE NOT EXISTS (SELECT 1 FROM coupons c WHERE c.event_id = $1 AND c.claim_id = admitted.claim_id)`,
        [eventId, claimIds],
      ),
    countMissingByUser: (eventId, userIds) =>
      count(
        `SELECT coalesce(sum(greatest(a.n - coalesce(c.n, 0), 0)), 0)::int AS n
         FROM (SELECT user_id, count(*) AS n FROM unnest($2::text[]) AS u (user_id) GROUP BY user_id) AS a
         LEFT JOIN (SELECT user_id, count(*) AS n FROM coupons WHERE event_id = $1 GROUP BY user_id) AS c
           USING (user_id)`,
        [eventId, userIds],
      ),
    end: () => db.end(),
  };
}
