import type { EventId } from '../../claim.ts';
import type { Executor } from '../dialect.ts';

/** Failed claims not yet issued: those the retry job will try again and those that can never be issued. */
export async function countUnresolvedFailures(db: Executor, eventId: EventId): Promise<number> {
  const row = await db
    .selectFrom('failed_claims')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('event_id', '=', eventId)
    .where('state', '!=', 'issued')
    .executeTakeFirstOrThrow();
  return row.count;
}
