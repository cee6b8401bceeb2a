import type { AdmittedClaim, EventDefinition, EventId, IssuedTickets, QueueSettings, UserId } from '../claim.ts';
import { AppError } from '../errors.ts';
import type { Dialect, FailedClaimSelection, RetryOutcome, StoreContext } from './dialect.ts';
import { mapErrors } from './map-errors.ts';
import { migrateToLatest } from './migrate.ts';
import { closeEvent } from './operations/close-event.ts';
import { countCoupons } from './operations/count-coupons.ts';
import { countFailedClaimsByState, type FailedClaimCounts } from './operations/count-failed-claims-by-state.ts';
import { countUnresolvedFailures } from './operations/count-unresolved-failures.ts';
import { type ClaimState, findClaimStates } from './operations/find-claim-states.ts';
import { findEvent } from './operations/find-event.ts';
import { findUserCoupons, type IssuedCoupon } from './operations/find-user-coupons.ts';
import { findUserFailures, type UserFailure } from './operations/find-user-failures.ts';
import { insertCoupons, type InsertResult } from './operations/insert-coupons.ts';
import { insertEvent, type NewEvent } from './operations/insert-event.ts';
import { type FailedClaim, leaseDueFailedClaims, type LeaseOptions } from './operations/lease-due-failed-claims.ts';
import { type FailedClaimFilter, type FailedClaimRow, listFailedClaims } from './operations/list-failed-claims.ts';
import { listEvents } from './operations/list-events.ts';
import { listQueuedEvents } from './operations/list-queued-events.ts';
import { loadIssuedTickets } from './operations/load-issued-tickets.ts';
import { ping } from './operations/ping.ts';
import { type EventTickets, readEventTickets } from './operations/read-event-tickets.ts';
import { type FailedClaimInput, recordFailedClaims } from './operations/record-failed-claims.ts';
import { recordRetryOutcomes } from './operations/record-retry-outcomes.ts';
import { revealQueueSeed } from './operations/reveal-queue-seed.ts';
import { type DeadClaim, settleDeadClaims } from './operations/settle-dead-claims.ts';
import { type IssuedTicket, streamIssuedTickets } from './operations/stream-issued-tickets.ts';
import { sumFailedClaimAttempts } from './operations/sum-failed-claim-attempts.ts';
import { updateEventQueue } from './operations/update-event-queue.ts';
import { mysqlDialect } from './mysql/mysql-dialect.ts';
import { type PoolUsage, readPoolUsage } from './pool-usage.ts';
import { postgresDialect } from './postgres/postgres-dialect.ts';

export type { FailedClaimSelection, RetryOutcome } from './dialect.ts';
export type { FailedClaimState } from './schema.ts';
export type { ClaimState } from './operations/find-claim-states.ts';
export type { FailedClaimCounts } from './operations/count-failed-claims-by-state.ts';
export type { IssuedCoupon } from './operations/find-user-coupons.ts';
export type { UserFailure } from './operations/find-user-failures.ts';
export type { InsertResult, RefusedClaim } from './operations/insert-coupons.ts';
export type { NewEvent } from './operations/insert-event.ts';
export type { FailedClaim, LeaseOptions } from './operations/lease-due-failed-claims.ts';
export type { FailedClaimFilter, FailedClaimRow } from './operations/list-failed-claims.ts';
export type { EventTickets } from './operations/read-event-tickets.ts';
export type { FailedClaimInput } from './operations/record-failed-claims.ts';
export type { IssuedTicket } from './operations/stream-issued-tickets.ts';
export type { DeadClaim } from './operations/settle-dead-claims.ts';
export type { PoolUsage } from './pool-usage.ts';

/**
 * The database, as its operations. Every method rejects with an AppError for a database error:
 * DB_UNAVAILABLE (retryable) when the database cannot be reached, a typed refusal (EVENT_EXISTS), or
 * DB_WRITE_FAILED / DB_QUERY_FAILED / DB_MIGRATION_FAILED, which retrying does not mend.
 */
export interface Store {
  /** The database's name for operators' messages: 'PostgreSQL' or 'MySQL' (MariaDB included). */
  readonly product: string;
  /** Rejects with EVENT_EXISTS when an event has that id already. */
  insertEvent(event: NewEvent): Promise<EventDefinition>;
  findEvent(id: EventId): Promise<EventDefinition | undefined>;
  /** Every event, the newest first. */
  listEvents(): Promise<EventDefinition[]>;
  /** Marks the event closed (closing twice keeps the first time); undefined when no event has that id. */
  closeEvent(id: EventId): Promise<EventDefinition | undefined>;
  /** Sets (or, with null, removes) the event's queue before it starts; EVENT_NOT_FOUND, EVENT_STARTED. */
  updateEventQueue(id: EventId, queue: QueueSettings | null, now: Date): Promise<EventDefinition>;
  /** Events with a queue that have not ended or closed by `now`. */
  listQueuedEvents(now: Date): Promise<EventDefinition[]>;
  /** Keeps the seed that ordered the event's pre-queue, once, for audit. */
  revealQueueSeed(id: EventId, seed: string): Promise<void>;

  countCoupons(eventId: EventId): Promise<number>;
  findUserCoupons(eventId: EventId, userId: UserId): Promise<IssuedCoupon[]>;
  /** Coupons and claims being retried: what the gate is re-seeded with after Redis lost an event. */
  loadIssuedTickets(eventId: EventId): Promise<IssuedTickets>;
  /**
   * The same tickets, `pageSize` (default 5000) at a time on one snapshot, for loading a big event into
   * the gate without holding it in memory; stops when `onPage` answers false. `onPage`'s errors pass as they are.
   */
  streamIssuedTickets(
    eventId: EventId,
    onPage: (page: IssuedTicket[]) => Promise<boolean>,
    pageSize?: number,
  ): Promise<void>;
  /** Idempotent (Kafka redelivers); the claims the database refuses come back with their reason. */
  insertCoupons(claims: AdmittedClaim[]): Promise<InsertResult>;

  /** Records refused claims for the retry job; a claim recorded before is left as it is. */
  recordFailedClaims(failures: FailedClaimInput[]): Promise<void>;
  /** Failed claims not yet issued: retrying and dead. */
  countUnresolvedFailures(eventId: EventId): Promise<number>;
  findUserFailures(eventId: EventId, userId: UserId): Promise<UserFailure[]>;
  /** Takes claims due for another attempt, leased for `leaseMs` so that concurrent passes skip them. */
  leaseDueFailedClaims(options: LeaseOptions): Promise<{ claims: FailedClaim[]; leasedAt: Date }>;
  recordRetryOutcomes(outcomes: RetryOutcome[]): Promise<void>;
  /** Settles dead claims' tickets with the gate through `giveBack`; its errors are rethrown as they are. */
  settleDeadClaims(
    limit: number,
    giveBack: (dead: DeadClaim) => Promise<boolean>,
  ): Promise<{ returned: DeadClaim[]; kept: DeadClaim[] }>;
  countFailedClaimsByState(eventId: EventId): Promise<FailedClaimCounts>;
  /** Failed claims, most recently changed first. */
  listFailedClaims(filter?: FailedClaimFilter): Promise<FailedClaimRow[]>;
  /** Makes the selected retrying claims due now; returns how many it moved. */
  makeFailedClaimsDue(selection: FailedClaimSelection): Promise<number>;
  /** The attempts made on the selected claims, added up: its growth is a retry pass's progress. */
  sumFailedClaimAttempts(selection: FailedClaimSelection): Promise<number>;

  /**
   * An event's coupons counted and its failed claims, read in one snapshot with the tickets it holds,
   * which go to `onPage` `pageSize` (default 5000) at a time, for reconcile and the drift watch.
   */
  readEventTickets(
    eventId: EventId,
    onPage: (page: IssuedTicket[]) => Promise<boolean>,
    pageSize?: number,
  ): Promise<EventTickets>;
  /** Where the database has each of these claims, if anywhere (coupon, or a failed claim's state). */
  findClaimStates(claimIds: string[]): Promise<Map<string, ClaimState>>;

  /** Resolves once the database answers. */
  ping(): Promise<void>;
  /** The connection pool now, for /metrics. */
  readPoolUsage(): PoolUsage | undefined;
  /** Applies the migrations not yet applied. */
  migrate(): Promise<void>;
  /** Closes the connections; the store cannot be used afterwards. */
  destroy(): Promise<void>;
}

export interface StoreOptions {
  /** postgres://, postgresql:// or mysql://, with the database's name. */
  url: string;
  /** Connections the store may open at once. @defaultValue 10 */
  poolSize?: number;
}

/** The dialect that speaks for the URL's scheme, chosen once: no operation asks which one it is. */
export function dialectOf(url: string): Dialect {
  const scheme = URL.canParse(url) ? new URL(url).protocol : '';
  if (scheme === 'postgres:' || scheme === 'postgresql:') return postgresDialect;
  if (scheme === 'mysql:') return mysqlDialect;
  throw new AppError('CONFIG_INVALID', `DATABASE_URL: expected a postgres:// or mysql:// URL, got scheme "${scheme}"`);
}

export function createStore({ url, poolSize = 10 }: StoreOptions): Store {
  const dialect = dialectOf(url);
  const db = dialect.connect({ url, poolSize });
  const on: StoreContext = { db, dialect };
  const operations: Omit<Store, 'product' | 'readPoolUsage'> = {
    insertEvent: (event) => insertEvent(on, event),
    findEvent: (id) => findEvent(db, id),
    listEvents: () => listEvents(db),
    closeEvent: (id) => closeEvent(on, id),
    updateEventQueue: (id, queue, now) => updateEventQueue(db, id, queue, now),
    listQueuedEvents: (now) => listQueuedEvents(db, now),
    revealQueueSeed: (id, seed) => revealQueueSeed(db, id, seed),
    countCoupons: (eventId) => countCoupons(db, eventId),
    findUserCoupons: (eventId, userId) => findUserCoupons(db, eventId, userId),
    loadIssuedTickets: (eventId) => loadIssuedTickets(db, eventId),
    streamIssuedTickets: (eventId, onPage, pageSize = 5000) => streamIssuedTickets(on, eventId, onPage, pageSize),
    insertCoupons: (claims) => insertCoupons(on, claims),
    recordFailedClaims: (failures) => recordFailedClaims(on, failures),
    countUnresolvedFailures: (eventId) => countUnresolvedFailures(db, eventId),
    findUserFailures: (eventId, userId) => findUserFailures(db, eventId, userId),
    leaseDueFailedClaims: (options) => leaseDueFailedClaims(on, options),
    recordRetryOutcomes: (outcomes) => recordRetryOutcomes(on, outcomes),
    settleDeadClaims: (limit, giveBack) => settleDeadClaims(on, limit, giveBack),
    countFailedClaimsByState: (eventId) => countFailedClaimsByState(db, eventId),
    listFailedClaims: (filter) => listFailedClaims(db, filter),
    makeFailedClaimsDue: (selection) => dialect.makeFailedClaimsDue(db, selection),
    sumFailedClaimAttempts: (selection) => sumFailedClaimAttempts(db, selection),
    readEventTickets: (eventId, onPage, pageSize = 5000) => readEventTickets(on, eventId, onPage, pageSize),
    findClaimStates: (claimIds) => findClaimStates(db, claimIds),
    ping: () => ping(db),
    migrate: () => migrateToLatest(on),
    destroy: () => db.destroy(),
  };
  const store: Record<string, unknown> = { product: dialect.product };
  for (const [name, op] of Object.entries(operations) as Array<[string, (...args: unknown[]) => Promise<unknown>]>) {
    store[name] = mapErrors(dialect, name, op);
  }
  store.readPoolUsage = () => readPoolUsage(db);
  return store as unknown as Store;
}

/** Creates the database named in `url` when it is missing (firstcome start on a fresh machine). */
export function ensureDatabaseExists(url: string): Promise<void> {
  const dialect = dialectOf(url);
  // The URL may hold a password: the message names the host and the database only.
  const { host, pathname } = new URL(url);
  const what = `the creation of database ${pathname.slice(1)} on ${host}`;
  return mapErrors(dialect, what, () => dialect.ensureDatabaseExists(url))();
}
