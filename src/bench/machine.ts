import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, totalmem, availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createClient } from 'redis';
import { databaseUrlFor } from './scratch-database.ts';

export interface MachineFacts {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  redis: string;
  /** The server and version the designs' databases were on, e.g. `PostgreSQL 16.4` or `MariaDB 10.11.19`. */
  database: string;
  /** The server's settings that bound a commit's cost: durability and the buffer cache. */
  databaseSettings: Record<string, string>;
  kafka: string;
  kernel: string;
}

const settle = async (what: () => Promise<string>) => {
  try {
    return await what();
  } catch {
    return 'unknown';
  }
};

const redisVersion = async (url: string) => {
  const redis = createClient({ url });
  redis.on('error', () => undefined);
  await redis.connect();
  try {
    return /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown';
  } finally {
    redis.destroy();
  }
};

type DatabaseFacts = Pick<MachineFacts, 'database' | 'databaseSettings'>;

const postgresFacts = async (serverUrl: string): Promise<DatabaseFacts> => {
  const client = new pg.Client({ connectionString: databaseUrlFor(serverUrl, 'postgres') });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string; setting: string }>(
      `SELECT name, current_setting(name) AS setting FROM pg_settings
       WHERE name IN ('server_version', 'synchronous_commit', 'fsync', 'wal_sync_method', 'shared_buffers')
       ORDER BY name`,
    );
    const settings = Object.fromEntries(rows.map((row) => [row.name, row.setting]));
    const { server_version: version, ...databaseSettings } = settings;
    return { database: `PostgreSQL ${version ?? 'unknown'}`, databaseSettings };
  } finally {
    await client.end();
  }
};

const mysqlFacts = async (serverUrl: string): Promise<DatabaseFacts> => {
  const connection = await mysql.createConnection({ uri: databaseUrlFor(serverUrl, ''), connectTimeout: 5000 });
  try {
    const [rows] = await connection.query<Array<mysql.RowDataPacket & Record<string, string | number>>>(
      `SELECT @@version AS version, @@innodb_flush_log_at_trx_commit AS innodb_flush_log_at_trx_commit,
              @@sync_binlog AS sync_binlog, @@log_bin AS log_bin, @@innodb_flush_method AS innodb_flush_method,
              @@innodb_buffer_pool_size AS innodb_buffer_pool_size`,
    );
    const { version = 'unknown', innodb_buffer_pool_size: pool = 0, ...settings } = { ...rows[0] };
    const server = /mariadb/i.test(String(version)) ? 'MariaDB' : 'MySQL';
    return {
      database: `${server} ${String(version).replace(/-MariaDB.*$/i, '')}`,
      databaseSettings: {
        ...Object.fromEntries(Object.entries(settings).map(([name, value]) => [name, String(value)])),
        innodb_buffer_pool_size: `${Math.round(Number(pool) / 2 ** 20)}MB`,
      },
    };
  } finally {
    await connection.end();
  }
};

const databaseFacts = async (serverUrl: string): Promise<DatabaseFacts> => {
  try {
    return new URL(serverUrl).protocol === 'mysql:' ? await mysqlFacts(serverUrl) : await postgresFacts(serverUrl);
  } catch {
    return { database: 'unknown', databaseSettings: {} };
  }
};

/**
 * A local broker's version, read from its Java command line (the protocol does not tell it): the one
 * whose server.properties listens on the first bootstrap port.
 */
const kafkaVersion = async (brokers: string[]) => {
  const port = brokers[0]?.split(':')[1] ?? '9092';
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
    } catch {
      continue;
    }
    if (!args.includes('kafka.Kafka')) continue;
    const commandLine = args.join(' ');
    const version =
      /kafka-([\d.]+)\/libs/.exec(commandLine)?.[1] ?? /kafka_2\.\d+-([\d.]+)\.jar/.exec(commandLine)?.[1];
    const properties = args.at(-1) ?? '';
    const listensHere = (() => {
      try {
        return new RegExp(`^listeners=.*:${port}\\b`, 'm').test(readFileSync(properties, 'utf8'));
      } catch {
        return false;
      }
    })();
    if (version && listensHere) return version;
  }
  return 'unknown (not a local broker)';
};

export async function describeMachine(
  redisUrl: string,
  databaseServerUrl: string,
  kafkaBrokers: string[],
): Promise<MachineFacts> {
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    redis: await settle(() => redisVersion(redisUrl)),
    ...(await databaseFacts(databaseServerUrl)),
    kafka: await settle(() => kafkaVersion(kafkaBrokers)),
    kernel: await settle(async () => (await promisify(execFile)('uname', ['-sr'])).stdout.trim()),
  };
}
