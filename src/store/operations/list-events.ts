import type { EventDefinition } from '../../claim.ts';
import type { Executor } from '../dialect.ts';
import { eventOfRow } from './rows.ts';

/** Every event, the newest first. */
export async function listEvents(db: Executor): Promise<EventDefinition[]> {
  const rows = await db.selectFrom('events').selectAll().orderBy('created_at', 'desc').orderBy('id').execute();
  return rows.map(eventOfRow);
}
