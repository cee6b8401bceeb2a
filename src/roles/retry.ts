import { startPeriodic } from '../runtime/periodic.ts';
import type { Config } from '../config.ts';
import { createGate } from '../gate/gate.ts';
import { redriveFailedClaims, type RetryPassOptions, type RetryPassSummary } from '../retry/redrive-failed-claims.ts';
import { closeRuntime, createLogger, openRuntime, type Runtime } from './runtime.ts';
import { parseFlags } from '../cli/flags.ts';

export const retryPassOptionsOf = (config: Config): RetryPassOptions => ({
  maxAttempts: config.RETRY_MAX_ATTEMPTS,
  baseMs: config.RETRY_INTERVAL_MS,
  capMs: 3_600_000,
  batchSize: 500,
  leaseMs: 60_000,
});

export const describeRetryPass = (s: RetryPassSummary) =>
  `retry pass: ${s.issued} issued, ${s.retrying} retrying, ${s.dead} dead; ` +
  `${s.ticketsReturned} tickets returned to the gate, ${s.ticketsKept} kept`;

const runPass = (runtime: Runtime) =>
  redriveFailedClaims(
    { db: runtime.db, gate: createGate(runtime.redis), redis: runtime.redis },
    retryPassOptionsOf(runtime.config),
  );

/** `firstcome retry`: one pass, a one-line summary, then exit. */
export async function runRetry(config: Config, args: string[]): Promise<void> {
  parseFlags('retry', args, {});
  const runtime = await openRuntime(config, createLogger(config, 'firstcome-retry'));
  try {
    process.stdout.write(`${describeRetryPass(await runPass(runtime))}\n`);
  } finally {
    await closeRuntime(runtime);
  }
}

/** The retry job inside `worker` and `start`: a pass now, then one every RETRY_INTERVAL_MS after the last ended. */
export function startRetryJob(runtime: Runtime): { stop(): Promise<void> } {
  const { log, metrics, config } = runtime;
  return startPeriodic(config.RETRY_INTERVAL_MS, () =>
    runPass(runtime).then(
      (summary) => {
        for (const outcome of ['issued', 'retrying', 'dead'] as const) {
          if (summary[outcome] > 0) metrics.retryOutcomes.inc({ outcome }, summary[outcome]);
        }
        if (summary.issued + summary.retrying + summary.dead + summary.ticketsReturned > 0) {
          log.info(summary, describeRetryPass(summary));
        }
        if (summary.ticketsKept > 0) {
          log.warn(
            `${summary.ticketsKept} dead claims hold tickets that the database gives to other claims; ` +
              'Redis lost data? run `firstcome reconcile --repair`',
          );
        }
      },
      // A database or Redis outage: the claims stay due (or leased) and the next pass takes them.
      (error: unknown) => log.warn({ err: error }, 'retry pass failed'),
    ),
  );
}
