import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';

/** What the database says about one event once the design has drained. */
export interface CouponCheck {
  issued: number;
  overIssued: number;
  usersOverLimit: number;
  /** 202s with no coupon: by claim id where the design returns one, else by user. */
  lost: number;
  firstIssuedAtMs: number | null;
  lastIssuedAtMs: number | null;
}

export interface Admissions {
  claimIds: string[];
  userIds: string[];
}

export async function countIssued(db: pg.Pool, eventId: string): Promise<number> {
  const result = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM coupons WHERE event_id = $1', [eventId]);
  return result.rows[0]?.n ?? 0;
}

/**
 * Waits until the database holds `admitted` coupons, or until the count has not moved for `idleSeconds`
 * (some were lost) or `timeoutSeconds` passed. Returns the last count seen.
 */
export async function waitForDrain(
  db: pg.Pool,
  eventId: string,
  admitted: number,
  { idleSeconds = 10, timeoutSeconds = 300, intervalMs = 100 } = {},
): Promise<{ issued: number; complete: boolean }> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let issued = -1;
  let movedAt = Date.now();
  for (;;) {
    const now = await countIssued(db, eventId);
    if (now >= admitted) return { issued: now, complete: true };
    if (now !== issued) movedAt = Date.now();
    issued = now;
    if (Date.now() - movedAt > idleSeconds * 1000 || Date.now() > deadline) return { issued, complete: false };
    await sleep(intervalMs);
  }
}

const toMs = (value: Date | null) => (value ? value.getTime() : null);

/** The correctness columns, read from the database alone; the 202s only say what should be there. */
export async function checkCoupons(
  db: pg.Pool,
  event: { id: string; stock: number; perUserLimit: number },
  admissions: Admissions,
): Promise<CouponCheck> {
  const totals = await db.query<{ issued: number; first: Date | null; last: Date | null }>(
    'SELECT count(*)::int AS issued, min(issued_at) AS first, max(issued_at) AS last FROM coupons WHERE event_id = $1',
    [event.id],
  );
  const overLimit = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (
       SELECT user_id FROM coupons WHERE event_id = $1 GROUP BY user_id HAVING count(*) > $2
     ) AS over_limit`,
    [event.id, event.perUserLimit],
  );
  const lost =
    admissions.claimIds.length > 0
      ? await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM unnest($2::text[]) AS admitted (claim_id)
           WHERE NOT EXISTS (SELECT 1 FROM coupons c WHERE c.event_id = $1 AND c.claim_id = admitted.claim_id)`,
          [event.id, admissions.claimIds],
        )
      : await db.query<{ n: number }>(
          `SELECT coalesce(sum(greatest(a.n - coalesce(c.n, 0), 0)), 0)::int AS n
           FROM (SELECT user_id, count(*) AS n FROM unnest($2::text[]) AS u (user_id) GROUP BY user_id) AS a
           LEFT JOIN (SELECT user_id, count(*) AS n FROM coupons WHERE event_id = $1 GROUP BY user_id) AS c
             USING (user_id)`,
          [event.id, admissions.userIds],
        );
  const row = totals.rows[0];
  const issued = row?.issued ?? 0;
  return {
    issued,
    overIssued: Math.max(0, issued - event.stock),
    usersOverLimit: overLimit.rows[0]?.n ?? 0,
    lost: lost.rows[0]?.n ?? 0,
    firstIssuedAtMs: toMs(row?.first ?? null),
    lastIssuedAtMs: toMs(row?.last ?? null),
  };
}
