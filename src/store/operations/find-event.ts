import type { EventDefinition, EventId } from '../../claim.ts';
import type { Executor } from '../dialect.ts';
import { eventOfRow } from './rows.ts';

export async function findEvent(db: Executor, id: EventId): Promise<EventDefinition | undefined> {
  const row = await db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirst();
  return row && eventOfRow(row);
}
