import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { ClaimRecord, RequestRecord } from './load.ts';

export interface ChaosEvent {
  id: string;
  stock: number;
  perUserLimit: number;
}

export interface BrokenPromise {
  promise: string;
  count: number;
  detail: string;
  examples: string[];
}

interface CouponRow {
  claim_id: string;
  user_id: string;
  seq: number;
  slot: number;
  issued_at: Date;
}
interface FailedRow {
  claim_id: string;
  user_id: string;
  state: string;
  ticket_returned: boolean | null;
  error: string;
  attempts: number;
}

/** The distinct claim ids answered 202, with the user each was answered to. */
export function admittedClaims(records: ClaimRecord[]): Map<string, string> {
  const admitted = new Map<string, string>();
  for (const r of records) {
    for (const q of r.requests) if (q.status === 202 && q.claimId) admitted.set(q.claimId, r.userId);
  }
  return admitted;
}

export interface DrainResult {
  /** Every 202's claim is a coupon, or dead with its ticket given back. */
  complete: boolean;
  settled: number;
  admitted: number;
  /** The whole wait (the settling, then the quiet). */
  ms: number;
  /** When every 202 was settled, from the start of the wait. */
  settledAfterMs: number;
  /** Then no failed claim left retrying or unsettled, and the coupon count still for a few seconds. */
  quiet: boolean;
}

/**
 * Waits, polling the database, until every 202's claim is in `coupons` or in `failed_claims` dead with
 * its ticket returned (at most `timeoutMs`), then until the pipeline is quiet: nothing retrying or
 * unsettled and the coupon count unchanged for `quietMs` (at most `quietTimeoutMs`).
 */
export async function waitForDrain(
  db: pg.Pool,
  eventId: string,
  admittedIds: string[],
  {
    timeoutMs = 180_000,
    quietMs = 3000,
    quietTimeoutMs = 60_000,
    intervalMs = 500,
    signal = undefined as AbortSignal | undefined,
  } = {},
): Promise<DrainResult> {
  const startedAt = Date.now();
  let settled = 0;
  let complete = false;
  while (!signal?.aborted) {
    const result = await db
      .query<{ n: number }>(
        `SELECT count(*)::int AS n FROM unnest($2::text[]) AS a (claim_id)
         WHERE EXISTS (SELECT 1 FROM coupons c WHERE c.claim_id = a.claim_id AND c.event_id = $1)
            OR EXISTS (SELECT 1 FROM failed_claims f WHERE f.claim_id = a.claim_id AND f.event_id = $1
                         AND f.state = 'dead' AND f.ticket_returned)`,
        [eventId, admittedIds],
      )
      .catch(() => undefined);
    if (result) settled = result.rows[0]?.n ?? 0;
    if (settled >= admittedIds.length) {
      complete = true;
      break;
    }
    if (Date.now() - startedAt > timeoutMs) break;
    await sleep(intervalMs);
  }
  const settledAfterMs = Date.now() - startedAt;
  let quiet = false;
  const quietDeadline = Date.now() + quietTimeoutMs;
  let lastCount = -1;
  let stillSince = Date.now();
  while (!signal?.aborted && Date.now() < quietDeadline) {
    const row = await db
      .query<{ coupons: number; open: number }>(
        `SELECT (SELECT count(*)::int FROM coupons WHERE event_id = $1) AS coupons,
                (SELECT count(*)::int FROM failed_claims WHERE event_id = $1
                   AND (state = 'retrying' OR (state = 'dead' AND ticket_returned IS NULL))) AS open`,
        [eventId],
      )
      .then((r) => r.rows[0])
      .catch(() => undefined);
    if (row) {
      if (row.coupons !== lastCount || row.open > 0) stillSince = Date.now();
      lastCount = row.coupons;
      if (Date.now() - stillSince >= quietMs) {
        quiet = true;
        break;
      }
    }
    await sleep(intervalMs);
  }
  return { complete, settled, admitted: admittedIds.length, ms: Date.now() - startedAt, settledAfterMs, quiet };
}

/** A refused connection carried nothing; any other network error (reset, timeout) may have been admitted. */
const mayHaveArrived = (q: RequestRecord) => q.status === null && q.error !== 'ECONNREFUSED';

const contractRefusals = new Set(['sold_out', 'limit_reached', 'not_started', 'ended']);

export interface Tallies {
  logicalClaims: number;
  requests: number;
  /** Every request's answer: "202", "409 sold_out", "503 unavailable", "network ECONNREFUSED", … */
  answers: Record<string, number>;
  /** How each logical claim ended. */
  finals: Record<string, number>;
  distinct202: number;
  retriedClaims: number;
  /** Requests with no answer that may have reached the server (reset, timeout); a refused connection did not. */
  lostAnswers: number;
  refusedConnections: number;
  /** Keys with a request that may have arrived but got no answer, then answered 202: admitted twice unless the key was honoured. */
  lostThen202: number;
  unavailableWithoutRetryAfter: number;
  coupons: number;
  failedByState: Record<string, number>;
  deadTicketReturned: number;
  /** Coupons and failed claims whose claim id no 202 carried (their answers were lost on the way). */
  unanswered: { coupons: number; failed: number };
  maxSeq: number;
  lastIssuedAt: Date | null;
  usersAtLimit: number;
}

/** Reads the event's coupons and failed claims and checks every promise against what the users were answered. */
export async function checkPromises(
  db: pg.Pool,
  event: ChaosEvent,
  records: ClaimRecord[],
): Promise<{ broken: BrokenPromise[]; tallies: Tallies }> {
  const coupons = (
    await db.query<CouponRow>('SELECT claim_id, user_id, seq, slot, issued_at FROM coupons WHERE event_id = $1', [
      event.id,
    ])
  ).rows;
  const failed = (
    await db.query<FailedRow>(
      'SELECT claim_id, user_id, state, ticket_returned, error, attempts FROM failed_claims WHERE event_id = $1',
      [event.id],
    )
  ).rows;
  const broken: BrokenPromise[] = [];
  const fail = (promise: string, items: string[], detail: string) => {
    if (items.length > 0) broken.push({ promise, count: items.length, detail, examples: items.slice(0, 8) });
  };

  const admitted = admittedClaims(records);
  const couponsByClaim = new Map<string, CouponRow[]>();
  for (const c of coupons) couponsByClaim.set(c.claim_id, [...(couponsByClaim.get(c.claim_id) ?? []), c]);
  const failedByClaim = new Map(failed.map((f) => [f.claim_id, f]));

  // Promise 1: never more coupons than stock (in count, and no ticket beyond stock or issued twice).
  const seqs = new Map<number, number>();
  for (const c of coupons) seqs.set(c.seq, (seqs.get(c.seq) ?? 0) + 1);
  fail(
    '1. never more coupons than stock',
    [
      ...(coupons.length > event.stock ? [`${coupons.length} coupons for a stock of ${event.stock}`] : []),
      ...coupons.filter((c) => c.seq < 1 || c.seq > event.stock).map((c) => `claim ${c.claim_id} has ticket ${c.seq}`),
      ...[...seqs].filter(([, n]) => n > 1).map(([seq, n]) => `ticket ${seq} issued ${n} times`),
    ],
    `stock ${event.stock}`,
  );

  // Promise 2: never more than perUserLimit per user.
  const perUser = new Map<string, CouponRow[]>();
  for (const c of coupons) perUser.set(c.user_id, [...(perUser.get(c.user_id) ?? []), c]);
  fail(
    '2. never more coupons for a user than perUserLimit',
    [...perUser]
      .filter(([, held]) => held.length > event.perUserLimit || new Set(held.map((c) => c.slot)).size < held.length)
      .map(([user, held]) => `${user} holds ${held.length} (slots ${held.map((c) => c.slot).join(',')})`),
    `perUserLimit ${event.perUserLimit}`,
  );

  // Promise 3: every 202 ends as exactly one coupon, or is reported failed (dead) with its ticket returned.
  const lost: string[] = [];
  const both: string[] = [];
  const unsettled: string[] = [];
  const wrongUser: string[] = [];
  for (const [claimId, userId] of admitted) {
    const rows = couponsByClaim.get(claimId) ?? [];
    const f = failedByClaim.get(claimId);
    const dead = f?.state === 'dead';
    if (rows.length > 0 && dead) both.push(`${claimId} (${userId}): a coupon, and also reported dead`);
    else if (rows.length === 0 && !f) lost.push(`${claimId} (${userId}): no coupon, no failed claim`);
    else if (rows.length === 0 && f && !(dead && f.ticket_returned === true)) {
      unsettled.push(
        `${claimId} (${userId}): failed_claims state ${f.state}, ticket_returned ${f.ticket_returned}, attempts ${f.attempts}: ${f.error}`,
      );
    }
    for (const r of rows) {
      if (r.user_id !== userId) wrongUser.push(`${claimId}: answered to ${userId}, issued to ${r.user_id}`);
    }
  }
  fail(
    '3. every 202 is issued (nothing admitted is lost)',
    lost,
    'the 202 claim ids below are nowhere in the database',
  );
  fail('3. every 202 is issued exactly once, or reported failed: not both', both, 'issued and reported dead');
  fail(
    '3. every 202 not issued is reported failed with its ticket returned',
    unsettled,
    'the claims below are neither issued nor dead with their ticket back',
  );
  fail('3. a 202 is issued to the user it was answered to', wrongUser, '');
  fail(
    '3. no duplicate coupon per claim',
    [...couponsByClaim].filter(([, rows]) => rows.length > 1).map(([id, rows]) => `${id}: ${rows.length} coupons`),
    '',
  );

  // Promise 5: a refusal is a 409 with a contract code and admitted nothing; no 5xx but 503.
  const badRefusals: string[] = [];
  const unexplained: string[] = [];
  const fiveHundreds: string[] = [];
  const odd: string[] = [];
  const lostByUser = new Map<string, number>();
  const answeredByUser = new Map<string, number>();
  const limitReachedUsers = new Set<string>();
  let soldOutSeen = false;
  for (const r of records) {
    for (const q of r.requests) {
      const where = `${r.userId} key ${r.key} +${(q.atMs / 1000).toFixed(1)}s server ${q.server + 1}`;
      if (q.status === null) {
        if (mayHaveArrived(q)) lostByUser.set(r.userId, (lostByUser.get(r.userId) ?? 0) + 1);
      } else if (q.status === 202) answeredByUser.set(r.userId, (answeredByUser.get(r.userId) ?? 0) + 1);
      else if (q.status >= 500 && q.status !== 503) fiveHundreds.push(`${q.status} ${q.code ?? ''} (${where})`);
      else if (q.status >= 400 && q.status < 500) {
        if (q.status !== 409 || !q.code || !contractRefusals.has(q.code)) {
          badRefusals.push(`${q.status} ${q.code ?? '(no error code)'} (${where})`);
        } else if (q.code === 'sold_out') soldOutSeen = true;
        else if (q.code === 'limit_reached') limitReachedUsers.add(r.userId);
        else unexplained.push(`409 ${q.code} for an open event with no window (${where})`);
      } else if (q.status !== 503) odd.push(`${q.status} (${where})`);
    }
  }
  fail('5. every refusal is a 409 with a contract code', badRefusals, '');
  fail('5. a refusal the event explains (open, no window, not closed: sold_out or limit_reached)', unexplained, '');
  fail('no 5xx other than 503', fiveHundreds, '');
  fail('no answer outside the contract (202, 409, 503)', odd, '');
  // Anything admitted that no 202 carried must be a request whose answer was lost (a network error or timeout).
  const unansweredByUser = new Map<string, number>();
  for (const c of coupons) {
    if (!admitted.has(c.claim_id)) unansweredByUser.set(c.user_id, (unansweredByUser.get(c.user_id) ?? 0) + 1);
  }
  for (const f of failed) {
    if (!admitted.has(f.claim_id) && !couponsByClaim.has(f.claim_id)) {
      unansweredByUser.set(f.user_id, (unansweredByUser.get(f.user_id) ?? 0) + 1);
    }
  }
  fail(
    '5. a 409 or 503 admitted nothing',
    [...unansweredByUser]
      .filter(([user, n]) => n > (lostByUser.get(user) ?? 0))
      .map(
        ([user, n]) => `${user}: ${n} claims admitted with no 202, but only ${lostByUser.get(user) ?? 0} answers lost`,
      ),
    'claims in the database that no 202 announced, beyond the requests whose answer was lost',
  );
  fail(
    '5. limit_reached only for a user who holds perUserLimit claims',
    [...limitReachedUsers]
      .filter((u) => (answeredByUser.get(u) ?? 0) + (lostByUser.get(u) ?? 0) < event.perUserLimit)
      .map(
        (u) =>
          `${u}: answered limit_reached with ${answeredByUser.get(u) ?? 0} 202s and ${lostByUser.get(u) ?? 0} lost answers`,
      ),
    '',
  );

  // Promise 4: when demand exceeded stock, all of it is issued, but for claims reported dead.
  const deadReturned = failed.filter(
    (f) => f.state === 'dead' && f.ticket_returned === true && !couponsByClaim.has(f.claim_id),
  ).length;
  const demandExceeded = soldOutSeen || admitted.size >= event.stock;
  if (demandExceeded && coupons.length < event.stock - deadReturned) {
    fail(
      '4. all of the stock is issued when demand exceeds stock',
      [`${coupons.length} coupons + ${deadReturned} dead claims < stock ${event.stock}`],
      `${event.stock - deadReturned - coupons.length} tickets stranded`,
    );
  }
  if (!demandExceeded) {
    fail(
      '4. (setup) demand must exceed stock for the run to test promise 4',
      [`no sold_out answer and ${admitted.size} 202s`],
      '',
    );
  }

  const answers: Record<string, number> = {};
  const finals: Record<string, number> = {};
  const bump = (tally: Record<string, number>, key: string) => (tally[key] = (tally[key] ?? 0) + 1);
  let lostThen202 = 0;
  let unavailableWithoutRetryAfter = 0;
  for (const r of records) {
    for (const q of r.requests) {
      bump(answers, q.status === null ? `network ${q.error}` : `${q.status}${q.code ? ` ${q.code}` : ''}`);
      if (q.status === 503 && !q.retryAfter) unavailableWithoutRetryAfter++;
    }
    const last = r.requests.at(-1);
    bump(
      finals,
      r.final === 'refused' || r.final === 'other' ? `${r.final} ${last?.status} ${last?.code ?? ''}`.trim() : r.final,
    );
    if (r.requests.some(mayHaveArrived) && last?.status === 202) lostThen202++;
  }
  const failedByState: Record<string, number> = {};
  for (const f of failed) bump(failedByState, f.state);
  const tallies: Tallies = {
    logicalClaims: records.length,
    requests: records.reduce((n, r) => n + r.requests.length, 0),
    answers,
    finals,
    distinct202: admitted.size,
    retriedClaims: records.filter((r) => r.requests.length > 1).length,
    lostAnswers: [...lostByUser.values()].reduce((a, b) => a + b, 0),
    refusedConnections: records.reduce(
      (n, r) => n + r.requests.filter((q) => q.status === null && !mayHaveArrived(q)).length,
      0,
    ),
    lostThen202,
    unavailableWithoutRetryAfter,
    coupons: coupons.length,
    failedByState,
    deadTicketReturned: deadReturned,
    unanswered: {
      coupons: coupons.filter((c) => !admitted.has(c.claim_id)).length,
      failed: failed.filter((f) => !admitted.has(f.claim_id)).length,
    },
    maxSeq: coupons.reduce((max, c) => Math.max(max, c.seq), 0),
    lastIssuedAt: coupons.reduce<Date | null>((last, c) => (!last || c.issued_at > last ? c.issued_at : last), null),
    usersAtLimit: [...perUser.values()].filter((held) => held.length >= event.perUserLimit).length,
  };
  return { broken, tallies };
}
