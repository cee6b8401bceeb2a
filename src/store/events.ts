import type { EventDefinition, EventId } from '../claim.ts';
import { AppError } from '../errors.ts';
import type { Database } from './database.ts';
import type { EventsTable } from './schema.ts';
import type { Selectable } from 'kysely';

export interface NewEvent {
  id: EventId;
  name: string;
  stock: number;
  perUserLimit: number;
  startsAt: Date | null;
  endsAt: Date | null;
}

const toEvent = (row: Selectable<EventsTable>): EventDefinition => ({
  id: row.id,
  name: row.name,
  stock: row.stock,
  perUserLimit: row.per_user_limit,
  startsAt: row.starts_at,
  endsAt: row.ends_at,
  closedAt: row.closed_at,
  createdAt: row.created_at,
});

export async function insertEvent(db: Database, event: NewEvent): Promise<EventDefinition> {
  const row = await db
    .insertInto('events')
    .values({
      id: event.id,
      name: event.name,
      stock: event.stock,
      per_user_limit: event.perUserLimit,
      starts_at: event.startsAt,
      ends_at: event.endsAt,
      closed_at: null,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new AppError('EVENT_EXISTS', `an event with id "${event.id}" exists already`);
  return toEvent(row);
}

export async function findEvent(db: Database, id: EventId): Promise<EventDefinition | undefined> {
  const row = await db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toEvent(row);
}

export async function listEvents(db: Database): Promise<EventDefinition[]> {
  const rows = await db.selectFrom('events').selectAll().orderBy('created_at', 'desc').orderBy('id').execute();
  return rows.map(toEvent);
}

/** Marks the event closed; closing twice keeps the first time. */
export async function closeEvent(db: Database, id: EventId): Promise<EventDefinition | undefined> {
  const row = await db
    .updateTable('events')
    .set((eb) => ({ closed_at: eb.fn.coalesce('closed_at', eb.fn<Date>('now', [])) }))
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  return row && toEvent(row);
}
