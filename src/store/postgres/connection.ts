import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { AppError } from '../../errors.ts';
import type { Executor } from '../dialect.ts';
import { withPoolUsage } from '../pool-usage.ts';
import type { Schema } from '../schema.ts';

// COUNT(*) and SUM() come back as int8; our figures stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export function connect({ url, poolSize }: { url: string; poolSize: number }): Executor {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 5000 });
  // A client losing its connection (database restart, network cut) must not crash the process: an idle
  // one reports it to the pool, a checked-out one to itself, and its queries reject with the error anyway.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return withPoolUsage(new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) }), () => ({
    busy: pool.totalCount - pool.idleCount,
    idle: pool.idleCount,
    waiting: pool.waitingCount,
  }));
}

/** Looks the database up in pg_database through the server's `postgres` database, and creates it if missing. */
export async function ensureDatabaseExists(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!name) throw new AppError('CONFIG_INVALID', 'DATABASE_URL: must name a database');
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`).catch((error: unknown) => {
        // Another process created it between our look-up and our CREATE.
        if ((error as { code?: string }).code !== '42P04') throw error;
      });
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}
