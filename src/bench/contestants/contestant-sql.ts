import type { BenchEvent } from '../design.ts';
import { openMysqlContestantSql } from './mysql-sql.ts';
import { openPostgresContestantSql } from './postgres-sql.ts';

export interface EventRow {
  stock: number;
  perUserLimit: number;
  issued: number;
}

/** The statements of one claim transaction (db-lock, redis-lock), on the connection that holds it. */
export interface ClaimStatements {
  /** The event's row; `lock` reads it with FOR UPDATE. */
  readEvent(eventId: string, lock: boolean): Promise<EventRow | undefined>;
  countHeld(eventId: string, userId: string): Promise<number>;
  insertCoupon(eventId: string, userId: string, claimId: string): Promise<void>;
  bumpIssued(eventId: string): Promise<void>;
}

/**
 * The few statements the contestants and their harness run, written once per database (postgres-sql.ts,
 * mysql-sql.ts): each design's logic is the same on both, only its SQL is spelled twice.
 */
export interface ContestantSql {
  /** Runs `work` in one transaction on one pooled connection: COMMIT when it returns, ROLLBACK when it throws. */
  inTransaction<T>(work: (statements: ClaimStatements) => Promise<T>): Promise<T>;
  stockOf(eventId: string): Promise<number | undefined>;
  /** The course consumer's insert, one row per statement; the claim id is the column's default. */
  insertCoupon(eventId: string, userId: string): Promise<void>;
  /** contestants/schema.sql or schema.mysql.sql, on the design's fresh database. */
  applySchema(): Promise<void>;
  insertEvent(event: BenchEvent): Promise<void>;
  end(): Promise<void>;
}

/** A pool of `poolSize` connections to the database of `url`: MySQL/MariaDB for mysql://, else PostgreSQL. */
export const openContestantSql = (url: string, poolSize: number): ContestantSql =>
  new URL(url).protocol === 'mysql:' ? openMysqlContestantSql(url, poolSize) : openPostgresContestantSql(url, poolSize);
