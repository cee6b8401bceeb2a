import { type Selectable, sql } from 'kysely';
import type { EventId } from '../../claim.ts';
import type { Executor } from '../dialect.ts';
import type { EventsTable } from '../schema.ts';

/** Closing twice keeps the first time. No RETURNING on MySQL: update, then read the row. */
export async function closeEvent(db: Executor, id: EventId): Promise<Selectable<EventsTable> | undefined> {
  await db
    .updateTable('events')
    .set((eb) => ({ closed_at: eb.fn.coalesce('closed_at', sql<Date>`now(3)`) }))
    .where('id', '=', id)
    .execute();
  return db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirst();
}
