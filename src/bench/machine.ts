import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, totalmem, availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import pg from 'pg';
import { createClient } from 'redis';
import { databaseUrlFor } from './scratch-database.ts';

export interface MachineFacts {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  redis: string;
  postgres: string;
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

const postgresVersion = async (serverUrl: string) => {
  const client = new pg.Client({ connectionString: databaseUrlFor(serverUrl, 'postgres') });
  await client.connect();
  try {
    return (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? 'unknown';
  } finally {
    await client.end();
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
    postgres: await settle(() => postgresVersion(databaseServerUrl)),
    kafka: await settle(() => kafkaVersion(kafkaBrokers)),
    kernel: await settle(async () => (await promisify(execFile)('uname', ['-sr'])).stdout.trim()),
  };
}
