import type { EventId } from '../../claim.ts';
import type { Executor, FailedClaimSelection } from '../dialect.ts';
import type { FailedClaimState } from '../schema.ts';

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

export interface FailedClaimFilter extends FailedClaimSelection {
  states?: FailedClaimState[] | undefined;
  limit?: number | undefined;
}

/** Failed claims, most recently changed first. */
export async function listFailedClaims(db: Executor, filter: FailedClaimFilter = {}): Promise<FailedClaimRow[]> {
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
