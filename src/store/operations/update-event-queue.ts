import type { EventDefinition, EventId, QueueSettings } from '../../claim.ts';
import { AppError } from '../../errors.ts';
import type { Executor } from '../dialect.ts';
import { findEvent } from './find-event.ts';
import { queueColumns } from './rows.ts';

/**
 * How long before the start a queue stops changing. API processes keep an event's definition once they
 * read it at or after the start (api/event-catalog.ts); this margin makes sure that read comes after the
 * last change committed, so no process keeps a queue that was removed, or misses one that was added.
 */
export const queueChangeMarginMs = 5000;

/**
 * Sets or removes an event's queue while the event is still scheduled: once it has started (or closed),
 * its queue has opened and people hold places in it, so the settings stay. The condition sits in the
 * UPDATE, so a change racing the start cannot slip past it. Throws EVENT_NOT_FOUND or EVENT_STARTED.
 */
export async function updateEventQueue(
  db: Executor,
  id: EventId,
  queue: QueueSettings | null,
  now: Date,
): Promise<EventDefinition> {
  const result = await db
    .updateTable('events')
    .set(queueColumns(queue))
    .where('id', '=', id)
    .where('closed_at', 'is', null)
    .where('starts_at', '>', new Date(now.getTime() + queueChangeMarginMs))
    .executeTakeFirst();
  const event = await findEvent(db, id);
  if (!event) throw new AppError('EVENT_NOT_FOUND', `No event has the id "${id}".`);
  if (Number(result.numUpdatedRows) === 0) {
    throw new AppError(
      'EVENT_STARTED',
      `event ${id} has started or closed, or starts within 5 seconds: its queue can no longer change`,
    );
  }
  return event;
}
