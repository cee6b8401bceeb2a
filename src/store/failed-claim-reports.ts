import type { EventId } from '../claim.ts';
import type { Database } from './database.ts';
import type { FailedClaimState } from './schema.ts';

export interface FailedClaimCounts {
  /** Waiting for the retry job. */
  retrying: number;
  /** Can never be issued; their tickets went back to the gate. */
  dead: number;
  /** Failed once, issued by a later attempt. */
  issued: number;
  /** When the retry job next takes one of this event's claims; null when none waits. */
  nextAttemptAt: Date | null;
}

/** An event's failed claims by state, for the dashboard and the operator CLI. */
export async function countFailedClaimsByState(db: Database, eventId: EventId): Promise<FailedClaimCounts> {
  const rows = await db
    .selectFrom('failed_claims')
    .select((eb) => [
      'state',
      eb.fn.countAll<number>().as('count'),
      eb.fn.min<Date | null>('next_attempt_at').as('next_attempt_at'),
    ])
    .where('event_id', '=', eventId)
    .groupBy('state')
    .execute();
  const counts: FailedClaimCounts = { retrying: 0, dead: 0, issued: 0, nextAttemptAt: null };
  for (const row of rows) {
    counts[row.state] = row.count;
    if (row.state === 'retrying') counts.nextAttemptAt = row.next_attempt_at;
  }
  return counts;
}

export interface FailedClaimRow {
  claimId: string;
  eventId: EventId;
  userId: string;
  state: FailedClaimState;
  attempts: number;
  error: string;
  nextAttemptAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

export interface FailedClaimFilter {
  eventId?: EventId | undefined;
  states?: FailedClaimState[] | undefined;
  claimIds?: string[] | undefined;
  limit?: number | undefined;
}

/** Failed claims, most recently changed first. */
export async function listFailedClaims(db: Database, filter: FailedClaimFilter = {}): Promise<FailedClaimRow[]> {
  let query = db
    .selectFrom('failed_claims')
    .select([
      'claim_id',
      'event_id',
      'user_id',
      'state',
      'attempts',
      'error',
      'next_attempt_at',
      'created_at',
      'updated_at',
    ])
    .orderBy('updated_at', 'desc')
    .orderBy('claim_id');
  if (filter.eventId !== undefined) query = query.where('event_id', '=', filter.eventId);
  if (filter.states?.length) query = query.where('state', 'in', filter.states);
  if (filter.claimIds?.length) query = query.where('claim_id', 'in', filter.claimIds);
  if (filter.limit !== undefined) query = query.limit(filter.limit);
  const rows = await query.execute();
  return rows.map((r) => ({
    claimId: r.claim_id,
    eventId: r.event_id,
    userId: r.user_id,
    state: r.state,
    attempts: r.attempts,
    error: r.error,
    nextAttemptAt: r.next_attempt_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }));
}

/** Makes waiting claims due now, so the next retry pass takes them; returns how many it moved. */
export async function makeFailedClaimsDue(
  db: Database,
  filter: Pick<FailedClaimFilter, 'eventId' | 'claimIds'>,
): Promise<number> {
  let query = db
    .updateTable('failed_claims')
    .set((eb) => ({ next_attempt_at: eb.fn<Date>('now', []) }))
    .where('state', '=', 'retrying');
  if (filter.eventId !== undefined) query = query.where('event_id', '=', filter.eventId);
  if (filter.claimIds?.length) query = query.where('claim_id', 'in', filter.claimIds);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * The attempts made on the claims a filter selects, added up: each attempt of the retry job adds one,
 * whatever it decided, so the growth of this sum is the progress of a pass over those claims.
 */
export async function sumFailedClaimAttempts(
  db: Database,
  filter: Pick<FailedClaimFilter, 'eventId' | 'claimIds'>,
): Promise<number> {
  let query = db
    .selectFrom('failed_claims')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('attempts'), eb.lit(0)).as('sum'));
  if (filter.eventId !== undefined) query = query.where('event_id', '=', filter.eventId);
  if (filter.claimIds?.length) query = query.where('claim_id', 'in', filter.claimIds);
  const row = await query.executeTakeFirstOrThrow();
  return Number(row.sum);
}
