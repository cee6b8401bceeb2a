import { CompiledQuery, Kysely, MysqlDialect } from 'kysely';
import mysql, { type PoolOptions, type TypeCast } from 'mysql2';
import mysqlPromise from 'mysql2/promise';
import { AppError } from '../../errors.ts';
import type { Executor } from '../dialect.ts';
import { withPoolUsage } from '../pool-usage.ts';
import type { Schema } from '../schema.ts';

// firstcome stores no binary data: user_id is VARBINARY only for its exact comparison (migration 0001),
// so every string column reads as UTF-8 text, and a BOOLEAN (TINYINT(1)) as a boolean.
const typeCast: TypeCast = (field, next) => {
  if (field.type === 'TINY' && field.length === 1) {
    const value = field.string();
    return value === null ? null : value !== '0';
  }
  if (field.type === 'VAR_STRING' || field.type === 'STRING' || field.type === 'BLOB') return field.string('utf8');
  return next();
};

/**
 * Strict, so that a value the column cannot hold is an error rather than a warning and a changed row;
 * UTC, so that DATETIME columns and NOW() mean the same instant whatever the server's zone; read
 * committed, PostgreSQL's default, so that a locking read takes no gap locks: with them, retry passes
 * leasing claims at once deadlock on the index they move (snapshots ask for repeatable read themselves).
 */
const sessionSettings =
  "SET SESSION time_zone = '+00:00', " +
  "sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'; " +
  'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED';

const poolOptions = (url: string): PoolOptions => ({
  uri: url,
  // Dates travel as UTC both ways; SUM() (DECIMAL) comes back a number, our figures stay far below 2^53.
  timezone: 'Z',
  decimalNumbers: true,
  typeCast,
  // Affected rows count the rows an UPSERT really wrote, not those it found: the coupon writer tells
  // inserted rows from redelivered ones by it.
  flags: ['-FOUND_ROWS'],
  // Migrations are files of several statements; parameters are still escaped by the driver.
  multipleStatements: true,
  connectTimeout: 5000,
});

export function connect({ url, poolSize }: { url: string; poolSize: number }): Executor {
  const pool = mysql.createPool({ ...poolOptions(url), connectionLimit: poolSize, maxIdle: poolSize });
  // A connection lost while idle must not crash the process; queries on it reject with the error anyway.
  pool.on('connection', (connection) => connection.on('error', () => undefined));
  const db = new Kysely<Schema>({
    dialect: new MysqlDialect({
      pool,
      onCreateConnection: (connection) =>
        connection.executeQuery(CompiledQuery.raw(sessionSettings)).then(() => undefined),
    }),
  });
  // mysql2 keeps its counts in fields it does not declare.
  const counts = pool as unknown as Record<
    '_allConnections' | '_freeConnections' | '_connectionQueue',
    { length: number }
  >;
  return withPoolUsage(db, () => ({
    busy: counts._allConnections.length - counts._freeConnections.length,
    idle: counts._freeConnections.length,
    waiting: counts._connectionQueue.length,
  }));
}

/**
 * Looks the database up through a connection to the server without one, and creates it if missing: a user
 * granted rights on an existing database only, without CREATE, starts as well. IF NOT EXISTS settles a race.
 */
export async function ensureDatabaseExists(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!name) throw new AppError('CONFIG_INVALID', 'DATABASE_URL: must name a database');
  const server = new URL(url);
  server.pathname = '/';
  const connection = await mysqlPromise.createConnection(poolOptions(server.toString()));
  try {
    const [found] = await connection.query<mysql.RowDataPacket[]>(
      'SELECT 1 FROM information_schema.schemata WHERE schema_name = ?',
      [name],
    );
    if (found.length > 0) return;
    await connection.query(`CREATE DATABASE IF NOT EXISTS ${mysql.escapeId(name)} CHARACTER SET utf8mb4`);
  } finally {
    await connection.end().catch(() => undefined);
  }
}
