import type { Insertable, Kysely, Selectable } from 'kysely';
import type { AdmittedClaim, EventId } from '../claim.ts';
import type { EventsTable, FailedClaimState, FailedClaimsTable, Schema } from './schema.ts';

/** A connection pool or a transaction: operations run on either. */
export type Executor = Kysely<Schema>;

/** What an operation needs to reach the database. */
export interface StoreContext {
  db: Executor;
  dialect: Dialect;
}

/** Why the database refused a coupon row, named after the constraint that refused it. */
export type RefusalCause =
  'beyond_stock' | 'beyond_limit' | 'ticket_taken' | 'slot_taken' | 'unknown_event' | 'refused';

/** What a driver error means; the store maps it to an AppError in one place (map-errors.ts). */
export type DriverError =
  /** Connection refused or lost, a timeout, the server shutting down: retry later. */
  | { kind: 'outage' }
  /** A constraint or a value check refused the row: the same row is refused again. */
  | { kind: 'refusal'; cause: RefusalCause; detail: string }
  /** Any other error the database answered with: a bug, or a schema the code does not expect. */
  | { kind: 'failure' };

type FailedClaimColumns<K extends keyof FailedClaimsTable> = Pick<Selectable<FailedClaimsTable>, K>;

/** The columns that make a failed claim's claim again. */
export type FailedClaimTicketRow = FailedClaimColumns<
  'claim_id' | 'event_id' | 'user_id' | 'seq' | 'slot' | 'admitted_at' | 'created_at'
>;
export type LeasedClaimRow = FailedClaimTicketRow & FailedClaimColumns<'attempts' | 'error'>;
export type DeadClaimRow = FailedClaimTicketRow & { is_ticket_free: boolean };

/** What one retry attempt decided for a claim. */
export interface RetryOutcome {
  claimId: string;
  state: FailedClaimState;
  /** Attempts so far, this one included. */
  attempts: number;
  reason: string;
  /** From now, on the database's clock, until the next attempt (for state 'retrying'). */
  delayMs: number;
}

export interface FailedClaimSelection {
  eventId?: EventId | undefined;
  claimIds?: string[] | undefined;
}

/**
 * The SQL one database speaks its own way: batch statements, conflict handling, row locking, the
 * database's clock, snapshots, and its errors. createStore picks the implementation from the URL's
 * scheme; the operations in operations/ call it and share the portable queries.
 */
export interface Dialect {
  /** The database's name in messages for operators, e.g. 'PostgreSQL'. */
  readonly product: string;
  /** Where this database's numbered, append-only `.sql` migrations are. */
  readonly migrationsDir: string;
  connect(options: { url: string; poolSize: number }): Executor;
  /** Creates the database named in `url` when it is missing. */
  ensureDatabaseExists(url: string): Promise<void>;
  /** undefined for an error that did not come from the database or its driver. */
  classifyError(error: unknown): DriverError | undefined;
  /** Runs `read` on one snapshot: every query in it sees the same committed data. */
  readSnapshot<T>(db: Executor, read: (snapshot: Executor) => Promise<T>): Promise<T>;

  /** Inserts the event; undefined when an event has that id already. */
  insertEvent(db: Executor, row: Insertable<EventsTable>): Promise<Selectable<EventsTable> | undefined>;
  /** Sets closed_at to the database's now unless it is set; undefined when no event has that id. */
  closeEvent(db: Executor, id: EventId): Promise<Selectable<EventsTable> | undefined>;
  /**
   * Writes the claims' coupons in one statement, skipping claims whose coupon exists (Kafka redelivers);
   * returns the rows written. Throws the driver's error when a row is refused: nothing is written then.
   */
  insertCouponBatch(db: Executor, claims: AdmittedClaim[]): Promise<number>;
  /** Inserts failed claims in one statement, leaving a claim recorded before as it is. */
  recordFailedClaims(db: Executor, rows: Insertable<FailedClaimsTable>[]): Promise<void>;
  /**
   * Moves the next attempt of up to `limit` retrying claims due by `dueBy` (the database's now when
   * undefined) `leaseMs` ahead, skipping rows another transaction holds; `leasedAt` is the database's
   * now, undefined when no claim was due.
   */
  leaseDueFailedClaims(
    db: Executor,
    options: { limit: number; leaseMs: number; dueBy: Date | undefined },
  ): Promise<{ rows: LeasedClaimRow[]; leasedAt: Date | undefined }>;
  /** Records the outcomes in one statement; a claim no longer retrying is left alone. */
  recordRetryOutcomes(db: Executor, outcomes: RetryOutcome[]): Promise<void>;
  /** Locks up to `limit` dead claims whose ticket is unsettled, skipping rows another transaction holds. */
  lockUnsettledDeadClaims(trx: Executor, limit: number): Promise<DeadClaimRow[]>;
  /** Records, in one statement, whether each dead claim's ticket went back to the gate. */
  recordSettledTickets(trx: Executor, settled: Array<{ claimId: string; isReturned: boolean }>): Promise<void>;
  /** Makes the selected retrying claims due at the database's now; returns how many it moved. */
  makeFailedClaimsDue(db: Executor, selection: FailedClaimSelection): Promise<number>;
}
