import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { loadConfig, type Config } from '../src/config.ts';
import { createDatabase, type Database } from '../src/db/database.ts';
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
    await adminQuery(`CREATE DATABASE ${name} TEMPLATE firstcome_template`);
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
