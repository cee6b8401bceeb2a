import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin } from '@platformatic/kafka';
import pg from 'pg';
import { afterAll, beforeAll, inject, expect } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { type AppDeps, buildApp } from '../src/api/app.ts';
import { type AuthOptions, createAuth } from '../src/api/auth.ts';
import { createGate } from '../src/gate/gate.ts';
import { createVerdictCache } from '../src/gate/verdict-cache.ts';
import { createMetrics } from '../src/metrics.ts';
import { loadConfig, type Config } from '../src/config.ts';
import { createDatabase, type Database } from '../src/store/database.ts';
import { activeEventsKey, gateKeys } from '../src/gate/keys.ts';
import { connectRedis, createRedis, type GateRedis } from '../src/gate/redis.ts';
import { adminDatabaseUrl, testDatabaseUrl } from './databases.ts';

export const repoRoot = join(import.meta.dirname, '..');
export const adminToken = 'test-admin-token-0123456789';

export const randomId = (prefix: string) => `${prefix}_${randomBytes(6).toString('hex')}`;

/** Polls a condition until it holds: tests wait on what they need, never on a fixed sleep. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 60_000, intervalMs = 50 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A fresh database per test file, cloned from the migrated template that global-setup.ts made. */
export function useDatabase(): { readonly url: string; readonly db: Database } {
  const name = randomId('firstcome_t');
  const state = { url: testDatabaseUrl(name), db: undefined as Database | undefined };
  beforeAll(async () => {
    await adminQuery(`CREATE DATABASE ${name} TEMPLATE ${inject('templateDatabase')}`);
    state.db = createDatabase({ url: state.url, poolSize: 4 });
  });
  afterAll(async () => {
    await state.db?.destroy();
    await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
  return {
    get url() {
      return state.url;
    },
    get db() {
      if (!state.db) throw new Error('useDatabase: the database is ready only inside tests and hooks');
      return state.db;
    },
  };
}

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminDatabaseUrl() });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** A Redis connection, and event ids whose keys are deleted after the file. */
export function useRedis(url = 'redis://127.0.0.1:6379'): {
  readonly redis: GateRedis;
  eventId: () => string;
} {
  const used: string[] = [];
  let client: GateRedis | undefined;
  beforeAll(async () => {
    client = await connectRedis(createRedis({ url }), () => undefined);
  });
  afterAll(async () => {
    if (!client) return;
    if (client.isReady) {
      for (const eventId of used) {
        await client.del(Object.values(gateKeys(eventId)));
        await client.sRem(activeEventsKey, eventId);
      }
    }
    client.destroy();
  });
  return {
    get redis() {
      if (!client) throw new Error('useRedis: the connection is ready only inside tests and hooks');
      return client;
    },
    eventId() {
      const id = randomId('ev');
      used.push(id);
      return id;
    },
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export const testConfig = (env: Record<string, string>): Config =>
  loadConfig({ ADMIN_TOKEN: adminToken, AUTH_MODE: 'trusted-header', LOG_LEVEL: 'silent', ...env });

export interface FirstcomeProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs `firstcome <args>` as its own process, as an operator would. */
export function spawnFirstcome(args: string[], env: Record<string, string>): FirstcomeProcess {
  const child = spawn(process.execPath, [join(repoRoot, 'bin/firstcome.js'), ...args], {
    cwd: repoRoot,
    env: { ...process.env, ADMIN_TOKEN: adminToken, AUTH_MODE: 'trusted-header', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** Starts `firstcome serve` on a free port and waits until it answers /healthz. */
export async function spawnApi(env: Record<string, string>): Promise<FirstcomeProcess & { baseUrl: string }> {
  const port = await freePort();
  const proc = spawnFirstcome(['serve'], { PORT: String(port), ...env });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitFor(`firstcome serve on port ${port}`, async () => {
    if (proc.child.exitCode !== null) throw new Error(`firstcome serve exited: ${proc.output()}`);
    const response = await fetch(`${baseUrl}/healthz`).catch(() => undefined);
    return response?.ok;
  });
  return Object.assign(proc, { baseUrl });
}

/** A redis-server of the test's own, so its relays drain only its events (and it may be stopped). */
export async function startPrivateRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const exited = new Promise((resolve) => server.once('exit', resolve));
  const url = `redis://127.0.0.1:${port}`;
  await waitFor(`redis-server on port ${port}`, async () => {
    if (server.exitCode !== null) throw new Error(`redis-server exited with ${server.exitCode}`);
    const client = await connectRedis(createRedis({ url }), () => undefined).catch(() => undefined);
    if (!client) return false;
    client.destroy();
    return true;
  });
  return {
    url,
    async stop() {
      if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
      await exited;
    },
  };
}

/** Kafka topics made for one test file, deleted after it. */
export function useKafkaTopics(brokers = ['127.0.0.1:9092']): { topic: () => string } {
  const made: string[] = [];
  afterAll(async () => {
    if (made.length === 0) return;
    const admin = new Admin({ clientId: 'firstcome-test', bootstrapBrokers: brokers });
    await admin.deleteTopics({ topics: made }).catch(() => undefined);
    await admin.close();
  });
  return {
    topic() {
      const name = randomId('firstcome.test');
      made.push(name);
      return name;
    },
  };
}

/** A Kafka broker of the test's own (scripts/local-kafka on a free port and a temporary data dir), to stop and start. */
export async function createPrivateKafka() {
  let port = await freePort();
  // The controller listens on port + 1, which must be free as well.
  while (!(await isPortFree(port + 1))) port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'firstcome-kafka-'));
  const env = { ...process.env, KAFKA_PORT: String(port), KAFKA_DATA_DIR: dataDir };
  const run = (command: 'start' | 'stop') =>
    new Promise<void>((resolve, reject) => {
      const script = spawn(join(repoRoot, 'scripts/local-kafka'), [command], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      script.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      script.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      script.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`local-kafka ${command}: ${output}`))));
    });
  return {
    brokers: `127.0.0.1:${port}`,
    start: () => run('start'),
    stop: () => run('stop'),
    async destroy() {
      await run('stop').catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A TCP proxy in front of `target` (e.g. PostgreSQL): `cut` drops every connection and refuses new ones,
 * as an unreachable database does; `restore` listens again on the same port.
 */
export async function startTcpProxy(target: { host: string; port: number }) {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = connect(target.port, target.host);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.once('close', () => sockets.delete(socket));
          socket.on('error', () => undefined);
        }
        client.pipe(upstream).pipe(client);
        client.once('close', () => upstream.destroy());
        upstream.once('close', () => client.destroy());
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  await listen();
  return {
    port,
    async cut() {
      const closed = new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
      for (const socket of sockets) socket.destroy();
      await closed;
      server = undefined;
    },
    restore: () => (server ? Promise.resolve() : listen()),
  };
}

export type ApiProcess = Awaited<ReturnType<typeof spawnApi>>;

/** Creates an event through the admin API. */
export async function createEventVia(
  api: ApiProcess,
  event: { id: string; name: string; stock: number; perUserLimit?: number },
): Promise<void> {
  const response = await fetch(`${api.baseUrl}/admin/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(event),
  });
  if (response.status !== 201) {
    throw new Error(`creating event ${event.id}: ${response.status} ${await response.text()}`);
  }
}

export interface ClaimAnswer {
  status: number;
  userId: string;
  claimId?: string;
}

/** Fires one claim per entry of `userIds`, spread over `apis`, `concurrency` at a time. */
export async function claimAll(apis: ApiProcess[], eventId: string, userIds: string[], concurrency = 64) {
  const answers: ClaimAnswer[] = [];
  let next = 0;
  const lane = async () => {
    while (next < userIds.length) {
      const i = next++;
      const userId = userIds[i]!;
      const response = await fetch(`${apis[i % apis.length]!.baseUrl}/events/${eventId}/claims`, {
        method: 'POST',
        headers: { 'x-user-id': userId },
      });
      const body = (await response.json()) as { claimId?: string };
      answers.push({ status: response.status, userId, ...(body.claimId ? { claimId: body.claimId } : {}) });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return answers;
}

/** Waits until the event holds `count` coupons (never more: the promises check fails on that). */
export async function waitForCoupons(db: Database, eventId: string, count: number, timeoutMs = 120_000) {
  await waitFor(
    `${count} coupons of event ${eventId}`,
    async () => {
      const row = await db
        .selectFrom('coupons')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .where('event_id', '=', eventId)
        .executeTakeFirstOrThrow();
      return row.count >= count;
    },
    { timeoutMs, intervalMs: 200 },
  );
}

/**
 * Promises 1–3 in the database: at most `stock` coupons, at most `perUserLimit` per user, and every
 * admitted claim (every 202) exactly once, with no coupon for anything else and nothing left failed.
 */
export async function expectPromisesHold(
  db: Database,
  eventId: string,
  { stock, perUserLimit, admitted }: { stock: number; perUserLimit: number; admitted: ClaimAnswer[] },
): Promise<void> {
  const coupons = await db
    .selectFrom('coupons')
    .select(['claim_id', 'user_id'])
    .where('event_id', '=', eventId)
    .execute();
  expect(coupons.length).toBeLessThanOrEqual(stock);
  const perUser = new Map<string, number>();
  for (const c of coupons) perUser.set(c.user_id, (perUser.get(c.user_id) ?? 0) + 1);
  expect(Math.max(0, ...perUser.values())).toBeLessThanOrEqual(perUserLimit);
  const issued = coupons.map((c) => c.claim_id).sort();
  expect(issued).toEqual(admitted.map((a) => a.claimId).sort());
  const failed = await db.selectFrom('failed_claims').select('claim_id').where('event_id', '=', eventId).execute();
  expect(failed).toEqual([]);
}

/** Drops a database a test let firstcome create (useDatabase drops its own). */
export const dropDatabase = (name: string) => adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);

/** The HTTP app on the given connections, as `firstcome serve` builds it, for `inject()` tests. */
export function buildTestApp(
  db: Database,
  redis: GateRedis,
  extra: Partial<AppDeps> = {},
  auth: Partial<AuthOptions> = {},
): FastifyInstance {
  return buildApp({
    db,
    redis,
    gate: createGate(redis),
    verdicts: createVerdictCache(),
    auth: createAuth({ mode: 'trusted-header', userIdHeader: 'x-user-id', adminToken, ...auth }),
    metrics: createMetrics(),
    ...extra,
  });
}
