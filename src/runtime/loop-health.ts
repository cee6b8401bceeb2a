export type HealthReading = { isAlive: true } | { isAlive: false; reason: string };

/**
 * Whether a role's loop still turns, for its /healthz. A turn starts (a relay cycle, a worker's batch,
 * connecting to Kafka) and ends; a loop that waits for work between turns is alive. Once a turn has run
 * `stalledAfterMs` without ending, the loop is stalled: a dependency that hangs or keeps failing, or a
 * bug. Failed tries of a turn that is retried keep it open, so a loop that only fails is stalled too.
 * `now` is a clock in ms (tests pass their own).
 */
export function createLoopHealth(name: string, stalledAfterMs: number, now: () => number = () => performance.now()) {
  let turnSinceMs: number | undefined;
  let what = '';
  let lastError: string | undefined;
  return {
    /** A turn begins; a turn already under way (a retry) keeps its start. */
    started(doing = 'a turn'): void {
      if (turnSinceMs !== undefined) return;
      turnSinceMs = now();
      what = doing;
      lastError = undefined;
    },
    /** The turn under way failed and will be tried again: the reason of a stall names it. */
    failed(error: unknown): void {
      lastError = error instanceof Error ? error.message : String(error);
    },
    ended(): void {
      turnSinceMs = undefined;
    },
    read(): HealthReading {
      if (turnSinceMs === undefined) return { isAlive: true };
      const forMs = now() - turnSinceMs;
      if (forMs < stalledAfterMs) return { isAlive: true };
      const seconds = (forMs / 1000).toFixed(1);
      return {
        isAlive: false,
        reason:
          `${name}: ${what} has not finished for ${seconds}s (stalled after ${stalledAfterMs} ms)` +
          (lastError === undefined ? '' : `; last error: ${lastError}`),
      };
    },
  };
}

export type LoopHealth = ReturnType<typeof createLoopHealth>;
