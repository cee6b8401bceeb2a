import type { ColumnType, Generated } from 'kysely';

export interface EventsTable {
  id: string;
  name: string;
  stock: number;
  per_user_limit: number;
  /** Gate shards the event is spread over (1..256). */
  shards: ColumnType<number, number | undefined, number>;
  starts_at: Date | null;
  ends_at: Date | null;
  closed_at: Date | null;
  created_at: Generated<Date>;
  /** A fair start's settings: all set or all null (migration 0007). */
  queue_prequeue_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  queue_admit_per_second: ColumnType<number | null, number | null | undefined, number | null>;
  queue_max_active: ColumnType<number | null, number | null | undefined, number | null>;
  queue_token_ttl_seconds: ColumnType<number | null, number | null | undefined, number | null>;
  /** The pre-queue's seed, written at the opening. */
  queue_seed: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface CouponsTable {
  id: Generated<string>;
  event_id: string;
  user_id: string;
  claim_id: string;
  seq: number;
  slot: number;
  event_stock: number;
  event_per_user_limit: number;
  admitted_at: Date | null;
  issued_at: Generated<Date>;
}

export type FailedClaimState = 'retrying' | 'dead' | 'issued';

export interface FailedClaimsTable {
  claim_id: string;
  event_id: string;
  user_id: string;
  seq: number;
  slot: number;
  admitted_at: Date | null;
  error: string;
  attempts: Generated<number>;
  state: ColumnType<FailedClaimState, FailedClaimState | undefined, FailedClaimState>;
  next_attempt_at: Generated<Date>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  /** For a dead claim: null until the retry job settles its ticket with the gate, then whether it gave it back. */
  ticket_returned: ColumnType<boolean | null, boolean | null | undefined, boolean | null>;
}

export interface Schema {
  events: EventsTable;
  coupons: CouponsTable;
  failed_claims: FailedClaimsTable;
}
