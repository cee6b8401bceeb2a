import { setTimeout as sleep } from 'node:timers/promises';
import type { CouponQueries } from './coupon-queries.ts';

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

/**
 * Waits until the database holds `admitted` coupons, or until the count has not moved for `idleSeconds`
 * (some were lost) or `timeoutSeconds` passed. Returns the last count seen.
 */
export async function waitForDrain(
  db: CouponQueries,
  eventId: string,
  admitted: number,
  { idleSeconds = 10, timeoutSeconds = 300, intervalMs = 100 } = {},
): Promise<{ issued: number; complete: boolean }> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let issued = -1;
  let movedAt = Date.now();
  for (;;) {
    const now = await db.countIssued(eventId);
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
  db: CouponQueries,
  event: { id: string; stock: number; perUserLimit: number },
  admissions: Admissions,
): Promise<CouponCheck> {
  const span = await db.issuedSpan(event.id);
  const lost =
    admissions.claimIds.length > 0
      ? await db.countMissingClaims(event.id, admissions.claimIds)
      : await db.countMissingByUser(event.id, admissions.userIds);
  const issued = span.issued;
  return {
    issued,
    overIssued: Math.max(0, issued - event.stock),
    usersOverLimit: await db.countUsersOverLimit(event.id, event.perUserLimit),
    lost,
    firstIssuedAtMs: toMs(span.first),
    lastIssuedAtMs: toMs(span.last),
  };
}
