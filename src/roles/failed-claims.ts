import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { RetryPassSummary } from '../retry/redrive-failed-claims.ts';
import { createStore, type FailedClaimFilter, type FailedClaimRow, type FailedClaimSelection } from '../store/store.ts';
import { runPass } from './retry.ts';
import { closeRuntime, openRuntime } from './runtime.ts';

export type { FailedClaimFilter, FailedClaimRow, FailedClaimSelection, FailedClaimState } from '../store/store.ts';

/** `firstcome failed list`: failed claims straight from the database, most recently changed first. */
export async function listFailedClaims(config: Config, filter: FailedClaimFilter): Promise<FailedClaimRow[]> {
  const store = createStore({ url: config.DATABASE_URL, poolSize: 1 });
  try {
    return await store.listFailedClaims(filter);
  } finally {
    await store.destroy();
  }
}

/**
 * `firstcome failed retry`: makes the selected waiting claims due now, then runs one pass of the retry
 * job. While it runs, `onProgress` hears every 250 ms how many of the selected claims it has attempted.
 */
export async function retryFailedClaims(
  config: Config,
  log: Logger,
  selection: FailedClaimSelection,
  onProgress: (attempted: number, selected: number) => void,
): Promise<{ selected: number } & RetryPassSummary> {
  const runtime = await openRuntime(config, log, { migrate: false });
  const { store } = runtime;
  let isRunning = true;
  try {
    const attemptsBefore = await store.sumFailedClaimAttempts(selection);
    const selected = await store.makeFailedClaimsDue(selection);
    // Every attempt adds one to the selected claims' attempts, whatever it decided.
    const watchProgress = async () => {
      while (isRunning) {
        const attempted = (await store.sumFailedClaimAttempts(selection).catch(() => attemptsBefore)) - attemptsBefore;
        onProgress(Math.min(attempted, selected), selected);
        await sleep(250);
      }
    };
    const progress = watchProgress();
    const pass = runPass(runtime).finally(() => (isRunning = false));
    const [summary] = await Promise.all([pass, progress]);
    return { selected, ...summary };
  } finally {
    isRunning = false;
    await closeRuntime(runtime);
  }
}
