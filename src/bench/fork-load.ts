import { fork } from 'node:child_process';
import { join } from 'node:path';
import type { LoadJob, LoadProgress, LoadResult } from './load-generator.ts';

type Message = { kind: 'progress'; progress: LoadProgress } | { kind: 'result'; result: LoadResult };

/** Runs one load in a child process; `pid` is known at once so its CPU can be watched too. */
export function forkLoad(job: LoadJob, onProgress: (progress: LoadProgress) => void) {
  const child = fork(join(import.meta.dirname, 'load-process.ts'), [], {
    execPath: process.execPath,
    execArgv: [],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const result = new Promise<LoadResult>((resolve, reject) => {
    let settled: LoadResult | undefined;
    child.on('message', (message: Message) => {
      if (message.kind === 'progress') onProgress(message.progress);
      else settled = message.result;
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      settled ? resolve(settled) : reject(new Error(`the load generator exited with code ${code} before its result`)),
    );
  });
  child.send(job);
  return { pid: child.pid ?? 0, result, kill: () => child.kill('SIGKILL') };
}
