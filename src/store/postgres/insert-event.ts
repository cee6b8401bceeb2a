import type { Insertable, Selectable } from 'kysely';
import type { Executor } from '../dialect.ts';
import type { EventsTable } from '../schema.ts';

export function insertEvent(db: Executor, row: Insertable<EventsTable>): Promise<Selectable<EventsTable> | undefined> {
  return db
    .insertInto('events')
    .values(row)
    .onConflict((oc) => oc.column('id').doNothing())
    .returningAll()
    .executeTakeFirst();
}
