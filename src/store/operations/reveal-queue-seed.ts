import type { EventId } from '../../claim.ts';
import type { Executor } from '../dialect.ts';

/** Keeps the seed that ordered an event's pre-queue, for audit; the first one written stays. */
export async function revealQueueSeed(db: Executor, id: EventId, seed: string): Promise<void> {
  await db
    .updateTable('events')
    .set({ queue_seed: seed })
    .where('id', '=', id)
    .where('queue_prequeue_at', 'is not', null)
    .where('queue_seed', 'is', null)
    .execute();
}
