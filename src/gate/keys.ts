import type { EventId } from '../claim.ts';

/** The only place keys are spelled out. The {eventId} hash tag puts an event's keys in one cluster slot, which Lua needs. */
export const gateKeys = (eventId: EventId) => ({
  event: `fc:{${eventId}}:event`,
  users: `fc:{${eventId}}:users`,
  outbox: `fc:{${eventId}}:outbox`,
  returned: `fc:{${eventId}}:returned`,
});

/** Events whose outbox the relay drains. Not hash-tagged: it spans events, and no script touches it. */
export const activeEventsKey = 'fc:events';

/** Pub/sub channel on which a close or a restock reaches every API process's verdict cache. */
export const gateChangesChannel = 'fc:gate-changes';

/** The relay's consumer group on every outbox stream. */
export const outboxGroup = 'relay';
