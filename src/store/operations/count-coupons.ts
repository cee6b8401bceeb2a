import type { EventId } from '../../claim.ts';
import type { Executor } from '../dialect.ts';

export async function countCoupons(db: Executor, eventId: EventId): Promise<number> {
  const row = await db
    .selectFrom('coupons')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('event_id', '=', eventId)
    .executeTakeFirstOrThrow();
  return row.count;
}
