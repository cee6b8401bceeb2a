import type { Executor, FailedClaimSelection } from '../dialect.ts';

/**
 * The attempts made on the claims a selection names, added up: each attempt of the retry job adds one,
 * whatever it decided, so the growth of this sum is the progress of a pass over those claims.
 */
export async function sumFailedClaimAttempts(db: Executor, selection: FailedClaimSelection): Promise<number> {
  let query = db
    .selectFrom('failed_claims')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('attempts'), eb.lit(0)).as('sum'));
  if (selection.eventId !== undefined) query = query.where('event_id', '=', selection.eventId);
  if (selection.claimIds?.length) query = query.where('claim_id', 'in', selection.claimIds);
  const row = await query.executeTakeFirstOrThrow();
  return Number(row.sum);
}
