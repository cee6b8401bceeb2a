import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { runTransaction } from './transaction.ts';
import type { ClaimStatements, ContestantSql } from './contestant-sql.ts';

/**
 * A pool on MySQL/MariaDB set up as firstcome's own store sets up its connections: UTC both ways (issued_at
 * is DATETIME, read back as the instant it was), strict, and read committed, PostgreSQL's default, so that
 * each design's transaction sees what it sees on PostgreSQL (InnoDB's default, repeatable read, would read
 * the holdings from a snapshot and take gap locks).
 */
export function openMysqlPool(url: string, poolSize: number): mysql.Pool {
  const pool = mysql.createPool({
    uri: url,
    connectionLimit: poolSize,
    maxIdle: poolSize,
    timezone: 'Z',
    decimalNumbers: true,
    multipleStatements: true,
    connectTimeout: 5000,
  });
  // Queries on a connection run in order, so this runs before anything the pool hands it out for.
  pool.pool.on('connection', (connection) => {
    connection.on('error', () => undefined);
    connection.query(
      "SET SESSION time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'; " +
        'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED',
    );
  });
  return pool;
}

// execute() prepares each statement once per connection, as pg's named statements do on PostgreSQL.
const statements = {
  readEvent: 'SELECT stock, per_user_limit, issued FROM events WHERE id = ?',
  readEventForUpdate: 'SELECT stock, per_user_limit, issued FROM events WHERE id = ? FOR UPDATE',
  countHeld: 'SELECT count(*) AS held FROM coupons WHERE event_id = ? AND user_id = ?',
  insertCoupon: 'INSERT INTO coupons (event_id, user_id, claim_id) VALUES (?, ?, ?)',
  insertCouponWithDefaultId: 'INSERT INTO coupons (event_id, user_id) VALUES (?, ?)',
  bumpIssued: 'UPDATE events SET issued = issued + 1 WHERE id = ?',
  readStock: 'SELECT stock FROM events WHERE id = ?',
};

const rowsOf = async (
  connection: mysql.Pool | mysql.PoolConnection,
  name: keyof typeof statements,
  values: string[],
): Promise<Array<Record<string, unknown>>> => {
  const [rows] = await connection.execute<mysql.RowDataPacket[]>(statements[name], values);
  return rows;
};

const claimStatements = (connection: mysql.PoolConnection): ClaimStatements => ({
  async readEvent(eventId, lock) {
    const [row] = await rowsOf(connection, lock ? 'readEventForUpdate' : 'readEvent', [eventId]);
    return row && { stock: Number(row.stock), perUserLimit: Number(row.per_user_limit), issued: Number(row.issued) };
  },
  async countHeld(eventId, userId) {
    const [row] = await rowsOf(connection, 'countHeld', [eventId, userId]);
    return Number(row?.held ?? 0);
  },
  async insertCoupon(eventId, userId, claimId) {
    await connection.execute(statements.insertCoupon, [eventId, userId, claimId]);
  },
  async bumpIssued(eventId) {
    await connection.execute(statements.bumpIssued, [eventId]);
  },
});

export function openMysqlContestantSql(url: string, poolSize: number): ContestantSql {
  const pool = openMysqlPool(url, poolSize);
  return {
    inTransaction: async (work) => runTransaction(await pool.getConnection(), claimStatements, work),
    async stockOf(eventId) {
      const [row] = await rowsOf(pool, 'readStock', [eventId]);
      return row && Number(row.stock);
    },
    async insertCoupon(eventId, userId) {
      await pool.execute(statements.insertCouponWithDefaultId, [eventId, userId]);
    },
    async applySchema() {
      await pool.query(await readFile(join(import.meta.dirname, 'schema.mysql.sql'), 'utf8'));
    },
    async insertEvent(event) {
      await pool.execute('INSERT INTO events (id, stock, per_user_limit) VALUES (?, ?, ?)', [
        event.id,
        event.stock,
        event.perUserLimit,
      ]);
    },
    end: () => pool.end(),
  };
}
