/** The shared words of firstcome: an event is one coupon drop, a claim is a user's request for a coupon. */
export type EventId = string;
export type UserId = string;

export const EVENT_ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$';
export const MAX_USER_ID_LENGTH = 128;

/** An admitted claim as it travels outbox → Kafka → worker. `seq` and `slot` are its numbered tickets. */
export interface AdmittedClaim {
  claimId: string;
  eventId: EventId;
  userId: UserId;
  /** The claim's place in the event, 1..stock; unique per event in the database. */
  seq: number;
  /** The user's n-th coupon in the event, 1..perUserLimit; unique per (event, user) in the database. */
  slot: number;
  admittedAtMs: number;
}

export type EventState = 'upcoming' | 'open' | 'sold_out' | 'ended';

export interface EventDefinition {
  id: EventId;
  name: string;
  stock: number;
  perUserLimit: number;
  startsAt: Date | null;
  endsAt: Date | null;
  closedAt: Date | null;
  createdAt: Date;
}

export type ClaimStatus = 'pending' | 'issued' | 'failed';

/** The tickets the database holds for an event (coupons and claims still being retried), for re-seeding the gate. */
export interface IssuedTickets {
  maxSeq: number;
  admitted: number;
  claimsByUser: Map<UserId, Array<{ claimId: string; slot: number; seq: number }>>;
}
