import type { Selectable } from 'kysely';
import type { EventId } from '../../claim.ts';
import type { Executor } from '../dialect.ts';
import type { EventsTable } from '../schema.ts';

/** Closing twice keeps the first time. */
export function closeEvent(db: Executor, id: EventId): Promise<Selectable<EventsTable> | undefined> {
  return db
    .updateTable('events')
    .set((eb) => ({ closed_at: eb.fn.coalesce('closed_at', eb.fn<Date>('now', [])) }))
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}
