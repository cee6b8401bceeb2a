import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin } from '@platformatic/kafka';
import { afterAll, beforeAll, inject, expect } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { type AppDeps, buildApp } from '../src/api/app.ts';
import { type AuthOptions, createAuth } from '../src/api/auth.ts';
import type { Gate } from '../src/gate/gate.ts';
import { createVerdictCache } from '../src/gate/verdict-cache.ts';
import { createMetrics } from '../src/metrics.ts';
import { loadConfig, type Config } from '../src/config.ts';
import { createStore, type Store } from '../src/store/store.ts';
import { createStoreProbe, type StoreProbe } from '../src/store/store-probe.ts';
import { gateKeys } from '../src/gate/keys.ts';
import { createGateHandle, type GateHandle, openGate } from '../src/gate/open-gate.ts';
import { connectRedis, createRedis, type GateRedis } from '../src/gate/redis.ts';
import { cloneDatabase, dropTestDatabase, testDatabaseUrl } from './databases.ts';
import { freePort, isPortFree } from '../src/runtime/ports.ts';

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

/**
 * A fresh database per test file, cloned from the migrated template that global-setup.ts made: the
 * `store` firstcome uses, and a `probe` for checks on every column of the rows (src/store/store-probe.ts).
 */
export function useDatabase(): { readonly url: string; readonly store: Store; readonly probe: StoreProbe } {
  const name = randomId('firstcome_t');
  const url = testDatabaseUrl(name);
  let opened: { store: Store; probe: StoreProbe } | undefined;
  beforeAll(async () => {
    await cloneDatabase(name, inject('templateDatabase'));
    opened = { store: createStore({ url, poolSize: 4 }), probe: createStoreProbe(url) };
  });
  afterAll(async () => {
    await Promise.all([opened?.store.destroy(), opened?.probe.destroy()]);
    await dropTestDatabase(name);
  });
  const ready = () => {
    if (!opened) throw new Error('useDatabase: the database is ready only inside tests and hooks');
    return opened;
  };
  return {
    url,
    get store() {
      return ready().store;
    },
    get probe() {
      return ready().probe;
    },
  };
}

type GateKey = keyof ReturnType<typeof gateKeys>;

/**
 * The gate on the shared Redis, event ids whose keys are deleted after the file, and the ways Redis loses
 * data, for tests of what the rest of firstcome does then. `redis`, the raw client, is for src/gate's tests.
 */
export function useRedis(url = 'redis://127.0.0.1:6379'): {
  readonly gate: GateHandle;
  readonly redis: GateRedis;
  eventId: () => string;
  /** Deletes the event's keys (or only `keys` of them), as a Redis restart without persistence does. */
  loseEvent: (eventId: string, keys?: GateKey[]) => Promise<void>;
  /** As a failover to a replica that missed the last admissions: counters back, those users' claims gone. */
  rewindEvent: (eventId: string, to: { admitted: number; seq: number; usersLost: string[] }) => Promise<void>;
} {
  const used: string[] = [];
  let client: { redis: GateRedis; gate: GateHandle } | undefined;
  const connected = () => {
    if (!client) throw new Error('useRedis: the connection is ready only inside tests and hooks');
    return client;
  };
  beforeAll(async () => {
    const redis = await connectRedis(createRedis({ url }), () => undefined);
    client = { redis, gate: createGateHandle(redis) };
  });
  afterAll(async () => {
    if (!client) return;
    if (client.redis.isReady) await client.gate.deleteEvents(used);
    client.redis.destroy();
  });
  return {
    get gate() {
      return connected().gate;
    },
    get redis() {
      return connected().redis;
    },
    eventId() {
      const id = randomId('ev');
      used.push(id);
      return id;
    },
    async loseEvent(eventId, keys) {
      const all = gateKeys(eventId);
      await connected().redis.del((keys ?? (Object.keys(all) as GateKey[])).map((key) => all[key]));
    },
    async rewindEvent(eventId, { admitted, seq, usersLost }) {
      const { redis } = connected();
      await redis.hSet(gateKeys(eventId).event, { admitted, seq });
      await redis.hDel(gateKeys(eventId).users, usersLost);
    },
  };
}

export { freePort };

/** The gate on a port where no Redis listens, never connected: every call fails, as while Redis is down. */
export async function unreachableGate(): Promise<GateHandle> {
  return createGateHandle(createRedis({ url: `redis://127.0.0.1:${await freePort()}` }));
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
    const gate = await openGate({ url }, () => undefined).catch(() => undefined);
    if (!gate) return false;
    await gate.close();
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
export async function waitForCoupons(store: Store, eventId: string, count: number, timeoutMs = 120_000) {
  await waitFor(`${count} coupons of event ${eventId}`, async () => (await store.countCoupons(eventId)) >= count, {
    timeoutMs,
    intervalMs: 200,
  });
}

/**
 * Promises 1–3 in the database: at most `stock` coupons, at most `perUserLimit` per user, and every
 * admitted claim (every 202) exactly once, with no coupon for anything else and nothing left failed.
 */
export async function expectPromisesHold(
  probe: StoreProbe,
  eventId: string,
  { stock, perUserLimit, admitted }: { stock: number; perUserLimit: number; admitted: ClaimAnswer[] },
): Promise<void> {
  const coupons = await probe.coupons(eventId);
  expect(coupons.length).toBeLessThanOrEqual(stock);
  const perUser = new Map<string, number>();
  for (const c of coupons) perUser.set(c.user_id, (perUser.get(c.user_id) ?? 0) + 1);
  expect(Math.max(0, ...perUser.values())).toBeLessThanOrEqual(perUserLimit);
  const issued = coupons.map((c) => c.claim_id).sort();
  expect(issued).toEqual(admitted.map((a) => a.claimId).sort());
  const failed = await probe.failedClaims({ eventId });
  expect(failed.map((f) => f.claim_id)).toEqual([]);
}

/** Drops a database a test let firstcome create (useDatabase drops its own). */
export const dropDatabase = (name: string) => dropTestDatabase(name);

/** The HTTP app on the given connections, as `firstcome serve` builds it, for `inject()` tests. */
export function buildTestApp(
  store: Store,
  gate: Gate,
  extra: Partial<AppDeps> = {},
  auth: Partial<AuthOptions> = {},
): FastifyInstance {
  return buildApp({
    store,
    gate,
    verdicts: createVerdictCache(),
    auth: createAuth({ mode: 'trusted-header', userIdHeader: 'x-user-id', adminToken, ...auth }),
    metrics: createMetrics(),
    ...extra,
  });
}
