import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { runTransaction } from './transaction.ts';
import type { ClaimStatements, ContestantSql, EventRow } from './contestant-sql.ts';

// Named statements: pg prepares each once per connection, as the designs' users' drivers would.
const statements = {
  readEvent: 'SELECT stock, per_user_limit, issued FROM events WHERE id = $1',
  readEventForUpdate: 'SELECT stock, per_user_limit, issued FROM events WHERE id = $1 FOR UPDATE',
  countHeld: 'SELECT count(*)::int AS held FROM coupons WHERE event_id = $1 AND user_id = $2',
  insertCoupon: 'INSERT INTO coupons (event_id, user_id, claim_id) VALUES ($1, $2, $3)',
  insertCouponWithDefaultId: 'INSERT INTO coupons (event_id, user_id) VALUES ($1, $2)',
  bumpIssued: 'UPDATE events SET issued = issued + 1 WHERE id = $1',
  readStock: 'SELECT stock FROM events WHERE id = $1',
};

const run = <R extends pg.QueryResultRow>(
  client: pg.Pool | pg.PoolClient,
  name: keyof typeof statements,
  values: unknown[],
) => client.query<R>({ name, text: statements[name], values });

const claimStatements = (client: pg.PoolClient): ClaimStatements => ({
  async readEvent(eventId, lock) {
    const result = await run<{ stock: number; per_user_limit: number; issued: number }>(
      client,
      lock ? 'readEventForUpdate' : 'readEvent',
      [eventId],
    );
    const row = result.rows[0];
    return row && ({ stock: row.stock, perUserLimit: row.per_user_limit, issued: row.issued } satisfies EventRow);
  },
  async countHeld(eventId, userId) {
    return (await run<{ held: number }>(client, 'countHeld', [eventId, userId])).rows[0]?.held ?? 0;
  },
  async insertCoupon(eventId, userId, claimId) {
    await run(client, 'insertCoupon', [eventId, userId, claimId]);
  },
  async bumpIssued(eventId) {
    await run(client, 'bumpIssued', [eventId]);
  },
});

export function openPostgresContestantSql(url: string, poolSize: number): ContestantSql {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  pool.on('error', () => undefined);
  return {
    inTransaction: async (work) => runTransaction(await pool.connect(), claimStatements, work),
    async stockOf(eventId) {
      return (await run<{ stock: number }>(pool, 'readStock', [eventId])).rows[0]?.stock;
    },
    async insertCoupon(eventId, userId) {
      await run(pool, 'insertCouponWithDefaultId', [eventId, userId]);
    },
    async applySchema() {
      await pool.query(await readFile(join(import.meta.dirname, 'schema.sql'), 'utf8'));
    },
    async insertEvent(event) {
      await pool.query('INSERT INTO events (id, stock, per_user_limit) VALUES ($1, $2, $3)', [
        event.id,
        event.stock,
        event.perUserLimit,
      ]);
    },
    end: () => pool.end(),
  };
}
