import type { EventDefinition } from '../../claim.ts';
import type { Executor } from '../dialect.ts';
import { eventOfRow } from './rows.ts';

/** Events with a queue that have not ended or closed by `now`: the queue scheduler's work. */
export async function listQueuedEvents(db: Executor, now: Date): Promise<EventDefinition[]> {
  const rows = await db
    .selectFrom('events')
    .selectAll()
    .where('queue_prequeue_at', 'is not', null)
    .where('closed_at', 'is', null)
    .where((eb) => eb.or([eb('ends_at', 'is', null), eb('ends_at', '>', now)]))
    .orderBy('starts_at')
    .execute();
  return rows.map(eventOfRow);
}
