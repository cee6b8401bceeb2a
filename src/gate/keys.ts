/**
 * The only place keys are spelled out: one shard's keys, under its hash tag (shards.ts: shard 0's tag is
 * the event id, and the pool lives there too), so that they share one cluster slot, which Lua needs.
 */
export const gateKeys = (tag: string) => ({
  event: `fc:{${tag}}:event`,
  users: `fc:{${tag}}:users`,
  outbox: `fc:{${tag}}:outbox`,
  /** The pool's free tickets (shard 0 only; see ticket-ranges.lua). */
  returned: `fc:{${tag}}:returned`,
  /** A leasing shard's tickets (shards other than 0; see ticket-ranges.lua). */
  lease: `fc:{${tag}}:lease`,
  /** Claims admitted with an Idempotency-Key: "<key> <userId>" -> "claimId:slot:seq" (admit-claim.lua). */
  keyedClaims: `fc:{${tag}}:keyed-claims`,
  /** Whose load of the shard this is (load-event.ts): one process loads an event, the others wait. */
  loading: `fc:{${tag}}:loading`,
  /** An event with a queue (queue.ts): its joiners, userId -> score (join-queue.lua spells the scores). */
  queue: `fc:{${tag}}:queue`,
  /** The queue's seed, prequeueAtMs, startsAtMs and, once opened, openedAtMs: copied on every shard. */
  queueMeta: `fc:{${tag}}:queue-meta`,
  /** userId -> the user's fixed position in the queue, once computed (1-based). */
  places: `fc:{${tag}}:queue-places`,
  /** userId -> when the user was first handed an admission token: its length counts the tokens issued. */
  tokens: `fc:{${tag}}:queue-tokens`,
  /** Shard 0 only: window, advancedAtMs, openedAtMs (advance-queue.lua). */
  queueState: `fc:{${tag}}:queue-state`,
  /** Shard 0 only: "ms:window" checkpoints of the window, oldest first (advance-queue.lua). */
  queueWindowLog: `fc:{${tag}}:queue-window-log`,
  /** Admission token id -> claims admitted with it (admit-claim.lua): its length counts the tokens used. */
  jtis: `fc:{${tag}}:jtis`,
});

/**
 * A loader's or a repair's work in progress (users, free tickets), renamed into place by its last call;
 * they expire if it dies. Same hash tag as the event: the scripts that rename them touch both.
 */
export const stagingKeys = (tag: string, workId: string) => ({
  users: `fc:{${tag}}:staged:${workId}:users`,
  free: `fc:{${tag}}:staged:${workId}:free`,
});

/** A lease one process of a deployment holds (e.g. the drift watch's): see lease.ts. */
export const leaseKey = (name: string) => `fc:lease:${name}`;

/**
 * The shard tags whose outboxes the relays drain (an event's, each of its shards). Not hash-tagged: it
 * spans events, and no script touches it.
 */
export const activeEventsKey = 'fc:events';

/** Pub/sub channel on which a close or a restock reaches every API process's verdict cache. */
export const gateChangesChannel = 'fc:gate-changes';

/** The relay's consumer group on every outbox stream. */
export const outboxGroup = 'relay';
