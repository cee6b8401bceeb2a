import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { cp, mkdir, readdir, stat, symlink } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort, isPortFree } from '../../runtime/ports.ts';
import { reaper } from './reaper.ts';

export { freePort, isPortFree };

/** Polls `check` every `intervalMs` until it returns true or `timeoutMs` passed; returns whether it held. */
export async function pollUntil(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}

/** Sends one RESP command on a fresh connection and returns the first line of the reply ('' if closed first). */
function redisCommand(port: number, args: string[], timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`redis ${args[0]}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) socket.end();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(reply.split('\r\n')[0] ?? '');
    });
    socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
  });
}

export interface PersistentRedis {
  readonly url: string;
  readonly port: number;
  pid(): number | undefined;
  isRunning(): boolean;
  /** SHUTDOWN (AOF on: fsynced, nothing lost) and waits for the exit; SIGKILL only if it hangs, and says so. */
  shutdown(): Promise<{ graceful: boolean }>;
  /** Starts it again on the same port and dir (its AOF is loaded) and waits until it answers PING. */
  start(): Promise<void>;
  signal(signal: NodeJS.Signals): void;
  /** The size of its append-only files on disk. */
  aofBytes(): Promise<number>;
  destroy(): Promise<void>;
}

/** A redis-server of the run's own with appendonly yes / appendfsync everysec in `dir`, on a free port. */
export async function startPersistentRedis(dir: string, logFile: string): Promise<PersistentRedis> {
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const isRunning = () => !!child && child.exitCode === null && child.signalCode === null;
  const start = async () => {
    if (isRunning()) return;
    const log = createWriteStream(logFile, { flags: 'a' }).on('error', () => undefined);
    const server = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'everysec',
        '--save',
        '',
        '--daemonize',
        'no',
        '--protected-mode',
        'yes',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    server.stdout?.pipe(log, { end: false });
    server.stderr?.pipe(log, { end: false });
    server.once('close', () => log.end());
    reaper.add(server.pid);
    exited = new Promise((resolve) =>
      server.once('exit', () => {
        reaper.remove(server.pid);
        resolve();
      }),
    );
    child = server;
    const up = await pollUntil(async () => (await redisCommand(port, ['PING'])) === '+PONG', 30_000);
    if (!up) throw new Error(`redis-server on port ${port} did not answer PING within 30 s (log: ${logFile})`);
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: () => (isRunning() ? child?.pid : undefined),
    isRunning,
    async shutdown() {
      if (!isRunning()) return { graceful: true };
      child?.kill('SIGCONT');
      await redisCommand(port, ['SHUTDOWN'], 5000).catch(() => undefined);
      const graceful = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
      if (!graceful) {
        child?.kill('SIGKILL');
        await exited;
      }
      return { graceful };
    },
    start,
    signal(signal) {
      if (isRunning()) child?.kill(signal);
    },
    async aofBytes() {
      const aofDir = join(dir, 'appendonlydir');
      const files = await readdir(aofDir).catch(() => [] as string[]);
      const sizes = await Promise.all(
        files.map((f) =>
          stat(join(aofDir, f)).then(
            (st) => st.size,
            () => 0,
          ),
        ),
      );
      return sizes.reduce((a, b) => a + b, 0);
    },
    async destroy() {
      if (isRunning()) {
        child?.kill('SIGCONT');
        child?.kill('SIGKILL');
      }
      await exited;
    },
  };
}

export interface PrivateKafka {
  readonly brokers: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  destroy(): Promise<void>;
}

/** A Kafka broker of the run's own: scripts/local-kafka on a free port (and port + 1) with its own data dir. */
export async function createPrivateKafka(repoRoot: string, dataDir: string, logFile: string): Promise<PrivateKafka> {
  let port = await freePort();
  for (let i = 0; i < 50 && !(await isPortFree(port + 1)); i++) port = await freePort();
  await mkdir(dataDir, { recursive: true });
  const env = { ...process.env, KAFKA_PORT: String(port), KAFKA_DATA_DIR: dataDir, KAFKA_START_TIMEOUT: '180' };
  const pidFile = join(dataDir, 'kafka.pid');
  reaper.addPidFile(pidFile);
  const run = (command: 'start' | 'stop') =>
    new Promise<void>((resolve, reject) => {
      const log = createWriteStream(logFile, { flags: 'a' }).on('error', () => undefined);
      const script = spawn(join(repoRoot, 'scripts/local-kafka'), [command], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      reaper.add(script.pid);
      let output = '';
      const keep = (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-4000);
        log.write(chunk);
      };
      script.stdout.on('data', keep);
      script.stderr.on('data', keep);
      script.once('close', (code) => {
        reaper.remove(script.pid);
        log.end();
        if (code === 0) resolve();
        else reject(new Error(`scripts/local-kafka ${command} (port ${port}) failed:\n${output}`));
      });
    });
  return {
    brokers: `127.0.0.1:${port}`,
    start: () => run('start'),
    stop: () => run('stop'),
    async destroy() {
      await run('stop').catch(() => undefined);
      reaper.removePidFile(pidFile);
    },
  };
}

export interface TcpProxy {
  readonly port: number;
  /** Drops every connection and refuses new ones, as an unreachable database does. */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  isCut(): boolean;
}

/** A TCP proxy on 127.0.0.1 in front of `target`. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
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
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        server = s;
        resolve();
      });
    });
  await listen();
  return {
    port,
    async cut() {
      const s = server;
      server = undefined;
      const closed = new Promise((resolve) => (s ? s.close(resolve) : resolve(undefined)));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    async restore() {
      if (server) return;
      // The port was ours a moment ago; a few tries cover a slow release.
      for (let attempt = 1; ; attempt++) {
        try {
          return await listen();
        } catch (error) {
          if (attempt >= 20) throw error;
          await sleep(250);
        }
      }
    },
    isCut: () => server === undefined,
  };
}

/** The URL of database `name` on the server of `serverUrl`. */
export function databaseUrlFor(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function onAdminDatabase(serverUrl: string, text: string): Promise<void> {
  const client = new pg.Client({
    connectionString: databaseUrlFor(serverUrl, 'postgres'),
    connectionTimeoutMillis: 10_000,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database of the run's own (`name` is [a-z0-9_]). */
export async function createScratchDatabase(serverUrl: string, name: string): Promise<string> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`scratch database name "${name}" must be [a-z0-9_]`);
  await onAdminDatabase(serverUrl, `CREATE DATABASE ${name}`);
  return databaseUrlFor(serverUrl, name);
}

export async function dropScratchDatabase(serverUrl: string, name: string): Promise<void> {
  if (!/^[a-z0-9_]+$/.test(name)) return;
  await onAdminDatabase(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

/**
 * A copy of the code the role processes run (bin, src, package.json; node_modules and the dashboard linked),
 * so that a process restarted mid-run runs the same code as the one it replaces, even while someone edits
 * the working tree.
 */
export async function snapshotTree(repoRoot: string, into: string): Promise<string> {
  await mkdir(into, { recursive: true });
  await cp(join(repoRoot, 'bin'), join(into, 'bin'), { recursive: true });
  await cp(join(repoRoot, 'src'), join(into, 'src'), { recursive: true });
  await cp(join(repoRoot, 'package.json'), join(into, 'package.json'));
  for (const linked of ['node_modules', 'dashboard']) {
    await symlink(join(repoRoot, linked), join(into, linked)).catch(() => undefined);
  }
  return into;
}
