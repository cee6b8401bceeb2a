/** The shared words of firstcome: an event is one coupon drop, a claim is a user's request for a coupon. */
export type EventId = string;
export type UserId = string;

export const EVENT_ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$';
export const MAX_USER_ID_LENGTH = 128;

/**
 * The claim record: an admitted claim as it travels outbox → Kafka → worker, spelled once. Every encoding
 * (the outbox stream entry, the Kafka value, the coupon row) takes its fields from this list, in this order.
 * `seq` and `slot` are its numbered tickets: `seq` its place in the event (1..stock, unique per event in
 * the database), `slot` the user's n-th coupon (1..perUserLimit, unique per event and user).
 */
export const claimRecordFields = {
  claimId: 'text',
  eventId: 'text',
  userId: 'text',
  seq: 'count',
  slot: 'count',
  admittedAtMs: 'time',
} as const;

export type ClaimField = keyof typeof claimRecordFields;
type FieldValue<K extends ClaimField> = (typeof claimRecordFields)[K] extends 'text' ? string : number;
export type AdmittedClaim = { [K in ClaimField]: FieldValue<K> };

export const claimFieldNames = Object.keys(claimRecordFields) as ClaimField[];

/** Flat field/value pairs in record order, as a Redis stream entry carries them. */
export const claimToPairs = (claim: AdmittedClaim): Array<string | number> =>
  claimFieldNames.flatMap((name) => [name, claim[name]]);

/**
 * A claim from flat string fields (an outbox entry), without judging it: a missing text field becomes ''
 * and a missing number NaN, so the worker routes the claim to failed_claims instead of guessing.
 */
export function claimFromStrings(fields: Partial<Record<string, string>>): AdmittedClaim {
  const claim: Record<string, string | number> = {};
  for (const name of claimFieldNames) {
    const value = fields[name];
    claim[name] = claimRecordFields[name] === 'text' ? (value ?? '') : Number(value);
  }
  return claim as AdmittedClaim;
}

/**
 * Every way a claim request can be answered, defined once: the route records each answer once, and the
 * metrics labels, the dashboard's tally and the OpenAPI document are all derived from this list.
 */
export const claimOutcomes = [
  'admitted',
  'sold_out',
  'limit_reached',
  'not_started',
  'ended',
  'rate_limited',
  'unauthenticated',
  'invalid',
  'unavailable',
] as const;
export type ClaimOutcome = (typeof claimOutcomes)[number];

export type EventState = 'upcoming' | 'open' | 'sold_out' | 'ended';

/** A fair start's settings (docs/fair-start.md): joining opens at prequeueAt, the queue opens at startsAt. */
export interface QueueSettings {
  prequeueAt: Date;
  /** Turns given per second once the queue is open. */
  admitPerSecond: number;
  /** The window holds while this many turns are open and unused; null: no hold. */
  maxActive: number | null;
  /** How long a turn (its admission token) lasts. */
  tokenTtlSeconds: number;
}

/** An event's queue: its settings, and the seed that ordered the pre-queue once the opening revealed it. */
export interface EventQueue extends QueueSettings {
  seed: string | null;
}

export interface EventDefinition {
  id: EventId;
  name: string;
  stock: number;
  perUserLimit: number;
  /** Gate shards the event is spread over (1..256): see docs/scaling.md. */
  shards: number;
  startsAt: Date | null;
  endsAt: Date | null;
  closedAt: Date | null;
  createdAt: Date;
  /** A fair start (a queue before the claims); null: claims are first come, first served. */
  queue: EventQueue | null;
}

export type ClaimStatus = 'pending' | 'issued' | 'failed';

/** The tickets the database holds for an event (coupons and claims still being retried), for re-seeding the gate. */
export interface IssuedTickets {
  maxSeq: number;
  admitted: number;
  claimsByUser: Map<UserId, Array<{ claimId: string; slot: number; seq: number }>>;
}
