import type { EventId } from '../../claim.ts';
import type { Executor } from '../dialect.ts';

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
export async function countFailedClaimsByState(db: Executor, eventId: EventId): Promise<FailedClaimCounts> {
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
