import type { Config } from '../config.ts';
import { redriveFailedClaims, type RetryPassOptions } from '../retry/redrive-failed-claims.ts';
import { describeRetryPass, startRetryJob as startJob } from '../retry/retry-job.ts';
import { closeRuntime, createLogger, openRuntime, type Runtime } from './runtime.ts';

export const retryPassOptionsOf = (config: Config): RetryPassOptions => ({
  maxAttempts: config.RETRY_MAX_ATTEMPTS,
  baseMs: config.RETRY_INTERVAL_MS,
  capMs: 3_600_000,
  batchSize: 500,
  leaseMs: 60_000,
});

/** One pass of the retry job on the runtime's connections. */
export const runPass = (runtime: Runtime) =>
  redriveFailedClaims({ store: runtime.store, gate: runtime.gate }, retryPassOptionsOf(runtime.config));

/** `firstcome retry`: one pass, a one-line summary, then exit. */
export async function runRetry(config: Config): Promise<void> {
  const runtime = await openRuntime(config, createLogger(config, 'firstcome-retry'), { migrate: false });
  try {
    process.stdout.write(`${describeRetryPass(await runPass(runtime))}\n`);
  } finally {
    await closeRuntime(runtime);
  }
}

/** The retry job on the runtime's connections, every RETRY_INTERVAL_MS. */
export const startRetryJob = (runtime: Runtime) =>
  startJob(runtime, retryPassOptionsOf(runtime.config), runtime.config.RETRY_INTERVAL_MS);
