import type { Insertable, Selectable } from 'kysely';
import type { Executor } from '../dialect.ts';
import type { EventsTable } from '../schema.ts';

/**
 * No RETURNING on MySQL: insert, then read the row. `id = id` leaves an existing event as it is, and its
 * zero affected rows say so (FOUND_ROWS is off, connection.ts); any other refusal (a CHECK) still throws.
 */
export async function insertEvent(
  db: Executor,
  row: Insertable<EventsTable>,
): Promise<Selectable<EventsTable> | undefined> {
  const result = await db
    .insertInto('events')
    .values(row)
    .onDuplicateKeyUpdate((eb) => ({ id: eb.ref('events.id') }))
    .executeTakeFirst();
  if (Number(result.numInsertedOrUpdatedRows ?? 0) === 0) return undefined;
  return db.selectFrom('events').selectAll().where('id', '=', row.id).executeTakeFirst();
}
