import { sql } from 'kysely';
import type { Executor, FailedClaimSelection } from '../dialect.ts';

export async function makeFailedClaimsDue(db: Executor, { eventId, claimIds }: FailedClaimSelection): Promise<number> {
  let query = db
    .updateTable('failed_claims')
    .set({ next_attempt_at: sql<Date>`now(3)` })
    .where('state', '=', 'retrying');
  if (eventId !== undefined) query = query.where('event_id', '=', eventId);
  if (claimIds?.length) query = query.where('claim_id', 'in', claimIds);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}
