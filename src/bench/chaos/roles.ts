import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RoleName } from './plan.ts';
import { reaper } from './reaper.ts';
import { pollUntil } from './services.ts';

const keptChars = 6000;
const unexpectedRestartDelayMs = 1000;
const maxUnexpectedRestarts = 60;

export interface ExitRecord {
  atMs: number;
  role: RoleName;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines it wrote before it went. */
  lastOutput: string;
}

/**
 * One `firstcome <role>` process slot, supervised as systemd would: restarted when the injector killed it,
 * and also (after a second, counted as an unexpected exit) when it died on its own.
 */
export interface RoleSlot {
  readonly name: RoleName;
  readonly port: number | undefined;
  pid(): number | undefined;
  isRunning(): boolean;
  start(): void;
  /** SIGKILL (SIGCONT first, in case it is paused) and wait for it to be gone; no automatic restart. */
  kill(): Promise<void>;
  signal(signal: 'SIGSTOP' | 'SIGCONT'): boolean;
  /** For `serve`: its /healthz answers 200. */
  waitReady(timeoutMs: number): Promise<boolean>;
  /** SIGTERM, then SIGKILL after the grace; no restart from then on. */
  stop(graceMs?: number): Promise<void>;
  output(): string;
  readonly starts: number;
}

export function createRoleSlot(options: {
  name: RoleName;
  command: 'serve' | 'relay' | 'worker';
  port?: number;
  env: NodeJS.ProcessEnv;
  repoRoot: string;
  logDir: string;
  sinceStart: () => number;
  onUnexpectedExit: (record: ExitRecord) => void;
}): RoleSlot {
  const { name, command, port, env, repoRoot } = options;
  const log: WriteStream = createWriteStream(join(options.logDir, `${name}.log`), { flags: 'a' });
  log.on('error', () => undefined);
  const write = (text: string | Buffer) => {
    if (!log.writableEnded) log.write(text);
  };
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = '';
  let starts = 0;
  let unexpected = 0;
  let expectingExit = false;
  let stopped = false;
  const isRunning = () => !!child && child.exitCode === null && child.signalCode === null;

  const start = () => {
    if (stopped || isRunning()) return;
    starts++;
    expectingExit = false;
    const proc = spawn(process.execPath, [join(repoRoot, 'bin/firstcome.js'), command], {
      cwd: repoRoot,
      env: { ...env, ...(port ? { PORT: String(port) } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    reaper.add(proc.pid);
    write(
      `\n=== ${new Date().toISOString()} +${(options.sinceStart() / 1000).toFixed(1)}s start #${starts} pid ${proc.pid}\n`,
    );
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-keptChars);
      write(chunk);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    child = proc;
    exited = new Promise((resolve) =>
      proc.once('exit', (code, signal) => {
        reaper.remove(proc.pid);
        write(`=== +${(options.sinceStart() / 1000).toFixed(1)}s exit code ${code} signal ${signal}\n`);
        resolve();
        if (expectingExit || stopped) return;
        options.onUnexpectedExit({
          atMs: options.sinceStart(),
          role: name,
          code,
          signal,
          lastOutput: output.slice(-4000),
        });
        if (++unexpected > maxUnexpectedRestarts) return;
        setTimeout(start, unexpectedRestartDelayMs).unref();
      }),
    );
  };

  return {
    name,
    port,
    pid: () => (isRunning() ? child?.pid : undefined),
    isRunning,
    start,
    async kill() {
      if (!isRunning()) return;
      expectingExit = true;
      child?.kill('SIGCONT');
      child?.kill('SIGKILL');
      await exited;
    },
    signal(signal) {
      if (!isRunning()) return false;
      return child?.kill(signal) ?? false;
    },
    async waitReady(timeoutMs) {
      if (!port) return isRunning();
      return pollUntil(
        async () => {
          const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
          await response.body?.cancel();
          return response.ok;
        },
        timeoutMs,
        200,
      );
    },
    async stop(graceMs = 8000) {
      stopped = true;
      if (isRunning()) {
        expectingExit = true;
        child?.kill('SIGCONT');
        child?.kill('SIGTERM');
        const gone = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
        if (!gone) {
          child?.kill('SIGKILL');
          await exited;
        }
      }
      await new Promise<void>((resolve) => log.end(resolve));
    },
    output: () => output,
    get starts() {
      return starts;
    },
  };
}
