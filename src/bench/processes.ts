import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

const outputKeptChars = 8000;
const stopGraceMs = 10_000;

export interface ServerProcess {
  readonly name: string;
  readonly pid: number;
  /** The last few thousand characters it wrote, for error messages. */
  output(): string;
  isRunning(): boolean;
  /** SIGTERM, then SIGKILL if it has not exited within the grace period. */
  stop(): Promise<void>;
}

/** Starts `node <nodeArgs…>` as a contestant process; never through a shell. */
export function spawnNode(name: string, nodeArgs: string[], options: { cwd: string; env: NodeJS.ProcessEnv }) {
  const child: ChildProcess = spawn(process.execPath, nodeArgs, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-outputKeptChars);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const isRunning = () => child.exitCode === null && child.signalCode === null;
  const handle: ServerProcess = {
    name,
    pid: child.pid ?? 0,
    output: () => output,
    isRunning,
    async stop() {
      if (!isRunning()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), stopGraceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  return handle;
}

/** Polls a condition until it holds or the time is up; the error names what was awaited. */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  { timeoutMs = 60_000, intervalMs = 100, processes = [] as ServerProcess[] } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stopped = processes.find((p) => !p.isRunning());
    if (stopped) throw new Error(`${stopped.name} exited while waiting for ${what}:\n${stopped.output()}`);
    const value = await check().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Waits until an HTTP server answers 200 on `url`. */
export const waitForHttp = (url: string, processes: ServerProcess[]) =>
  waitUntil(`${url} to answer`, async () => (await fetch(url)).ok, { processes });
