import type { Executor } from './dialect.ts';

/** The connection pool at one moment. */
export interface PoolUsage {
  /** Connections running a query or a transaction. */
  busy: number;
  /** Connections open and free. */
  idle: number;
  /** Queries waiting for a connection: the pool is too small, or the database too slow. */
  waiting: number;
}

// Kysely hides its driver's pool; each dialect's connect() says how to read it, keyed by what it returns.
const readers = new WeakMap<Executor, () => PoolUsage>();

/** Returns `db`, which now answers readPoolUsage. */
export function withPoolUsage(db: Executor, read: () => PoolUsage): Executor {
  readers.set(db, read);
  return db;
}

/** undefined for an executor whose connect() did not say how (a transaction). */
export const readPoolUsage = (db: Executor): PoolUsage | undefined => readers.get(db)?.();
