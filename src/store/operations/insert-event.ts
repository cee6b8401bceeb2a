import type { EventDefinition, QueueSettings } from '../../claim.ts';
import { AppError } from '../../errors.ts';
import type { StoreContext } from '../dialect.ts';
import { eventOfRow, queueColumns } from './rows.ts';

/** An event as created: its definition before it was closed or stored. */
export type NewEvent = Omit<EventDefinition, 'closedAt' | 'createdAt' | 'shards' | 'queue'> & {
  shards?: number;
  queue?: QueueSettings | null;
};

/** Throws EVENT_EXISTS when an event has that id already. */
export async function insertEvent({ db, dialect }: StoreContext, event: NewEvent): Promise<EventDefinition> {
  const row = await dialect.insertEvent(db, {
    id: event.id,
    name: event.name,
    stock: event.stock,
    per_user_limit: event.perUserLimit,
    shards: event.shards ?? 1,
    starts_at: event.startsAt,
    ends_at: event.endsAt,
    closed_at: null,
    ...queueColumns(event.queue ?? null),
  });
  if (!row) throw new AppError('EVENT_EXISTS', `an event with id "${event.id}" exists already`);
  return eventOfRow(row);
}
