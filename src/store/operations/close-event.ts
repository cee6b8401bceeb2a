import type { EventDefinition, EventId } from '../../claim.ts';
import type { StoreContext } from '../dialect.ts';
import { eventOfRow } from './rows.ts';

/** Marks the event closed; closing twice keeps the first time. undefined when no event has that id. */
export async function closeEvent({ db, dialect }: StoreContext, id: EventId): Promise<EventDefinition | undefined> {
  const row = await dialect.closeEvent(db, id);
  return row && eventOfRow(row);
}
