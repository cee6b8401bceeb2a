import type { EventId } from '../claim.ts';

/** The only place keys are spelled out. The {eventId} hash tag puts an event's keys in one cluster slot, which Lua needs. */
export const gateKeys = (eventId: EventId) => ({
  event: `fc:{${eventId}}:event`,
  users: `fc:{${eventId}}:users`,
  outbox: `fc:{${eventId}}:outbox`,
  returned: `fc:{${eventId}}:returned`,
  /** Claims admitted with an Idempotency-Key: "<key> <userId>" -> "claimId:slot:seq" (admit-claim.lua). */
  keyedClaims: `fc:{${eventId}}:keyed-claims`,
  /** Whose load of the event this is (load-event.ts): one process loads it, the others wait. */
  loading: `fc:{${eventId}}:loading`,
});

/**
 * A loader's or a repair's work in progress (users, free tickets), renamed into place by its last call;
 * they expire if it dies. Same hash tag as the event: the scripts that rename them touch both.
 */
export const stagingKeys = (eventId: EventId, workId: string) => ({
  users: `fc:{${eventId}}:staged:${workId}:users`,
  free: `fc:{${eventId}}:staged:${workId}:free`,
});

/** A lease one process of a deployment holds (e.g. the drift watch's): see lease.ts. */
export const leaseKey = (name: string) => `fc:lease:${name}`;

/** Events whose outbox the relay drains. Not hash-tagged: it spans events, and no script touches it. */
export const activeEventsKey = 'fc:events';

/** Pub/sub channel on which a close or a restock reaches every API process's verdict cache. */
export const gateChangesChannel = 'fc:gate-changes';

/** The relay's consumer group on every outbox stream. */
export const outboxGroup = 'relay';
