import { runLoop } from './run-loop.ts';

/**
 * Runs a job now and then `intervalMs` after each run ended, so runs never overlap however long one takes.
 * `stop` waits for a run in progress. The job handles its own errors; one that escapes it is dropped,
 * and the job runs again `intervalMs` later.
 */
export function startPeriodic(intervalMs: number, run: () => Promise<void>): { stop(): Promise<void> } {
  const stopping = new AbortController();
  const running = runLoop({
    signal: stopping.signal,
    step: async () => {
      await run();
      return intervalMs;
    },
    backoffMs: () => intervalMs,
  });
  return {
    async stop() {
      stopping.abort();
      await running;
    },
  };
}
