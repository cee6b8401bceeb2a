import { sql } from 'kysely';
import type { Executor, RetryOutcome } from '../dialect.ts';

/**
 * One UPDATE joined to the outcomes as a JSON_TABLE, MySQL's and MariaDB's unnest. claim_id has the
 * primary key's collation, or the join would scan failed_claims instead of looking each claim up.
 */
export async function recordRetryOutcomes(db: Executor, outcomes: RetryOutcome[]): Promise<void> {
  const rows = JSON.stringify(outcomes.map((o) => [o.claimId, o.state, o.attempts, o.reason, o.delayMs]));
  await sql`
    UPDATE failed_claims f
    JOIN JSON_TABLE(${rows}, '$[*]' COLUMNS (
      claim_id varchar(128) CHARACTER SET ascii COLLATE ascii_bin PATH '$[0]', state varchar(8) PATH '$[1]',
      attempts int PATH '$[2]',
      error longtext PATH '$[3]', delay_ms double PATH '$[4]'
    )) AS u ON f.claim_id = u.claim_id
    SET f.state = u.state, f.attempts = u.attempts, f.error = u.error,
      f.next_attempt_at = now(3) + INTERVAL round(u.delay_ms * 1000) MICROSECOND, f.updated_at = now(3)
    WHERE f.state = 'retrying'`.execute(db);
}
