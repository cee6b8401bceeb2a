import type { Logger } from 'pino';
import type { Metrics } from '../metrics.ts';
import { startPeriodic } from '../runtime/periodic.ts';
import {
  redriveFailedClaims,
  type RetryPassDeps,
  type RetryPassOptions,
  type RetryPassSummary,
} from './redrive-failed-claims.ts';

export const describeRetryPass = (s: RetryPassSummary) =>
  `retry pass: ${s.issued} issued, ${s.retrying} retrying, ${s.dead} dead; ` +
  `${s.ticketsReturned} tickets returned to the gate, ${s.ticketsKept} kept`;

export interface RetryJobDeps extends RetryPassDeps {
  log: Logger;
  metrics: Pick<Metrics, 'retryOutcomes'>;
}

/** The retry job inside `worker` and `start`: a pass now, then one every `intervalMs` after the last ended. */
export function startRetryJob({ log, metrics, ...deps }: RetryJobDeps, options: RetryPassOptions, intervalMs: number) {
  return startPeriodic(intervalMs, () =>
    redriveFailedClaims(deps, options).then(
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
