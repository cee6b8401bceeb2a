/**
 * Runs a job now and then `intervalMs` after each run ended, so runs never overlap however long one takes.
 * `stop` waits for a run in progress. The job handles its own errors.
 */
export function startPeriodic(intervalMs: number, run: () => Promise<void>): { stop(): Promise<void> } {
  let isStopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const tick = () => {
    running = run().finally(() => {
      running = undefined;
      if (!isStopped) timer = setTimeout(tick, intervalMs);
    });
  };
  timer = setTimeout(tick, 0);
  return {
    async stop() {
      isStopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
