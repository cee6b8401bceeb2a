import { sql } from 'kysely';
import type { AdmittedClaim, EventId, UserId } from '../claim.ts';
import type { Database } from './database.ts';
import type { FailedClaimState } from './schema.ts';

/** Failed claims not yet issued: those the retry job will try again and those that can never be issued. */
export async function countUnresolvedFailures(db: Database, eventId: EventId): Promise<number> {
  const row = await db
    .selectFrom('failed_claims')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('event_id', '=', eventId)
    .where('state', '!=', 'issued')
    .executeTakeFirstOrThrow();
  return row.count;
}

export async function findUserFailures(
  db: Database,
  eventId: EventId,
  userId: UserId,
): Promise<Array<{ claimId: string; slot: number; state: FailedClaimState }>> {
  const rows = await db
    .selectFrom('failed_claims')
    .select(['claim_id', 'slot', 'state'])
    .where('event_id', '=', eventId)
    .where('user_id', '=', userId)
    .execute();
  return rows.map((r) => ({ claimId: r.claim_id, slot: r.slot, state: r.state }));
}

export interface FailedClaimInput {
  claim: AdmittedClaim;
  reason: string;
}

/**
 * Records claims the database refused, in their own statement, for the retry job. A claim recorded
 * before (Kafka redelivered it) keeps its attempt count and state: only the retry job moves those.
 */
export async function recordFailedClaims(db: Database, failures: FailedClaimInput[]): Promise<void> {
  if (failures.length === 0) return;
  await db
    .insertInto('failed_claims')
    .values(
      failures.map(({ claim, reason }) => ({
        claim_id: claim.claimId,
        event_id: claim.eventId,
        user_id: claim.userId,
        seq: claim.seq,
        slot: claim.slot,
        admitted_at: new Date(claim.admittedAtMs),
        error: reason,
      })),
    )
    .onConflict((oc) => oc.column('claim_id').doNothing())
    .execute();
}

/** A failed claim as the retry job sees it. */
export interface FailedClaim {
  claim: AdmittedClaim;
  /** Attempts so far, the worker's first one included. */
  attempts: number;
  reason: string;
}

interface FailedClaimRow {
  claim_id: string;
  event_id: string;
  user_id: string;
  seq: number;
  slot: number;
  admitted_at: Date | null;
  created_at: Date;
}

const claimOfRow = (row: FailedClaimRow): AdmittedClaim => ({
  claimId: row.claim_id,
  eventId: row.event_id,
  userId: row.user_id,
  seq: row.seq,
  slot: row.slot,
  admittedAtMs: (row.admitted_at ?? row.created_at).getTime(),
});

/**
 * Takes up to `limit` claims due for another attempt and leases them: their next attempt moves `leaseMs`
 * ahead, so other workers skip them (SKIP LOCKED while this statement runs, the lease after it), and
 * a worker that dies mid-attempt leaves them due again once the lease runs out. `dueBy` defaults to the
 * database's now; `leasedAt` is that now, for the next batch of the same pass.
 */
export async function leaseDueFailedClaims(
  db: Database,
  { limit, leaseMs, dueBy }: { limit: number; leaseMs: number; dueBy?: Date | undefined },
): Promise<{ claims: FailedClaim[]; leasedAt: Date }> {
  const result = await sql<FailedClaimRow & { attempts: number; error: string; leased_at: Date }>`
    WITH due AS (
      SELECT claim_id FROM failed_claims
      WHERE state = 'retrying' AND next_attempt_at <= coalesce(${dueBy ?? null}::timestamptz, now())
      ORDER BY next_attempt_at
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    )
    UPDATE failed_claims f
    SET next_attempt_at = now() + ${leaseMs} * interval '1 millisecond', updated_at = now()
    FROM due
    WHERE f.claim_id = due.claim_id
    RETURNING f.claim_id, f.event_id, f.user_id, f.seq, f.slot, f.admitted_at, f.created_at, f.attempts, f.error,
      now() AS leased_at`.execute(db);
  const leasedAt = result.rows[0]?.leased_at ?? dueBy ?? new Date();
  return {
    claims: result.rows.map((row) => ({ claim: claimOfRow(row), attempts: row.attempts, reason: row.error })),
    leasedAt,
  };
}

/** What one retry attempt decided for a claim. */
export interface RetryOutcome {
  claimId: string;
  state: FailedClaimState;
  /** Attempts so far, this one included. */
  attempts: number;
  reason: string;
  /** From now, on the database's clock, until the next attempt (for state 'retrying'). */
  delayMs: number;
}

/** Records retry outcomes in one statement; a claim some other hand settled meanwhile is left alone. */
export async function recordRetryOutcomes(db: Database, outcomes: RetryOutcome[]): Promise<void> {
  if (outcomes.length === 0) return;
  const column = <T>(pick: (o: RetryOutcome) => T) => outcomes.map(pick);
  await sql`
    UPDATE failed_claims f
    SET state = u.state, attempts = u.attempts, error = u.error,
      next_attempt_at = now() + u.delay_ms * interval '1 millisecond', updated_at = now()
    FROM unnest(
      ${column((o) => o.claimId)}::text[], ${column((o) => o.state)}::text[], ${column((o) => o.attempts)}::int[],
      ${column((o) => o.reason)}::text[], ${column((o) => o.delayMs)}::float8[]
    ) AS u(claim_id, state, attempts, error, delay_ms)
    WHERE f.claim_id = u.claim_id AND f.state = 'retrying'`.execute(db);
}

/** A dead claim whose ticket the gate may still count. */
export interface DeadClaim {
  claim: AdmittedClaim;
  /**
   * Its ticket and slot are really free: within the event's stock and limit, and no coupon or claim being
   * retried holds that seq, or that slot of the user. Only then may the gate hand them out again.
   */
  isTicketFree: boolean;
}

/**
 * Settles the tickets of up to `limit` dead claims with the gate, each row locked (SKIP LOCKED) so that
 * several workers share the work. `giveBack` is called for free tickets and says whether the gate took
 * the ticket back. If it throws, what was settled before is kept and the error is rethrown.
 */
export async function settleDeadClaims(
  db: Database,
  limit: number,
  giveBack: (dead: DeadClaim) => Promise<boolean>,
): Promise<{ returned: DeadClaim[]; kept: DeadClaim[] }> {
  let failure: Error | undefined;
  const settled = await db.transaction().execute(async (trx) => {
    const rows = await sql<FailedClaimRow & { is_ticket_free: boolean }>`
      SELECT d.claim_id, d.event_id, d.user_id, d.seq, d.slot, d.admitted_at, d.created_at,
        coalesce(d.seq BETWEEN 1 AND e.stock AND d.slot BETWEEN 1 AND e.per_user_limit, false)
        AND NOT EXISTS (SELECT 1 FROM coupons c WHERE c.event_id = d.event_id AND c.seq = d.seq)
        AND NOT EXISTS (SELECT 1 FROM coupons c WHERE c.event_id = d.event_id AND c.user_id = d.user_id AND c.slot = d.slot)
        AND NOT EXISTS (
          SELECT 1 FROM failed_claims r
          WHERE r.event_id = d.event_id AND r.state = 'retrying' AND r.claim_id <> d.claim_id
            AND (r.seq = d.seq OR (r.user_id = d.user_id AND r.slot = d.slot))
        ) AS is_ticket_free
      FROM failed_claims d
      LEFT JOIN events e ON e.id = d.event_id
      WHERE d.state = 'dead' AND d.ticket_returned IS NULL
      LIMIT ${limit}
      FOR UPDATE OF d SKIP LOCKED`.execute(trx);
    const done: Array<{ dead: DeadClaim; returned: boolean }> = [];
    for (const row of rows.rows) {
      const dead = { claim: claimOfRow(row), isTicketFree: row.is_ticket_free };
      try {
        done.push({ dead, returned: dead.isTicketFree && (await giveBack(dead)) });
      } catch (error) {
        failure = error instanceof Error ? error : new Error(String(error));
        break;
      }
    }
    if (done.length > 0) {
      await sql`
        UPDATE failed_claims f SET ticket_returned = u.returned, updated_at = now()
        FROM unnest(${done.map((d) => d.dead.claim.claimId)}::text[], ${done.map((d) => d.returned)}::bool[])
          AS u(claim_id, returned)
        WHERE f.claim_id = u.claim_id`.execute(trx);
    }
    return done;
  });
  if (failure) throw failure;
  return {
    returned: settled.filter((d) => d.returned).map((d) => d.dead),
    kept: settled.filter((d) => !d.returned).map((d) => d.dead),
  };
}

/** Every failed claim of an event, for reconcile. */
export async function listFailedClaims(
  db: Database,
  eventId: EventId,
): Promise<Array<{ claimId: string; userId: UserId; seq: number; slot: number; state: FailedClaimState }>> {
  const rows = await db
    .selectFrom('failed_claims')
    .select(['claim_id', 'user_id', 'seq', 'slot', 'state'])
    .where('event_id', '=', eventId)
    .execute();
  return rows.map((r) => ({ claimId: r.claim_id, userId: r.user_id, seq: r.seq, slot: r.slot, state: r.state }));
}
