import { sql } from 'kysely';
import type { Executor, RetryOutcome } from '../dialect.ts';

export async function recordRetryOutcomes(db: Executor, outcomes: RetryOutcome[]): Promise<void> {
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
