import { setTimeout as sleep } from 'node:timers/promises';
import type { LoopHealth } from './loop-health.ts';

/** Waits `ms`, or less when `signal` aborts; never rejects. */
export const pause = (ms: number, signal: AbortSignal): Promise<void> =>
  ms > 0 ? sleep(ms, undefined, { signal }).catch(() => undefined) : Promise.resolve();

export interface FailureStreakOptions {
  /** Ends the loop (or the retrying): checked before each step, and it cuts a pause short. */
  signal: AbortSignal;
  /** The pause after a failure, in ms; `failures` counts the streak's earlier failures (0 after its first). */
  backoffMs: (failures: number) => number;
  /** Called with the first error of each failure streak, so a dependency that is down logs once, not once per try. */
  onFailureStreak?: (error: unknown) => void;
  /** Called once when a failure streak ends. */
  onRecovered?: () => void;
}

/** What a step of `runLoop` may tell the loop while it runs. */
export interface LoopStep {
  /**
   * The dependency answers again, before the step is over (a long-running step, such as a consumer
   * stream): reports the end of a failure streak now instead of when the step resolves.
   */
  recovered(): void;
}

export interface RunLoopOptions extends FailureStreakOptions {
  /** One pass; resolves to the pause before the next one in ms (nothing for none), rejects to fail. */
  step: (loop: LoopStep) => Promise<number | void>;
  /**
   * A step that called `recovered()` at least this long before it failed starts a new failure streak
   * (logged, backoff from the start); a sooner failure continues the streak, so a dependency that
   * flaps backs off instead of spinning. @defaultValue 0
   */
  newStreakAfterMs?: number;
  /** Hears each step start, fail and end (or recover, for a long-running step), named `turn`. */
  health?: { of: LoopHealth; turn: string } | undefined;
}

function createStreak({ onFailureStreak, onRecovered }: FailureStreakOptions) {
  let failures = 0;
  let isFailing = false;
  return {
    get failures() {
      return failures;
    },
    failed(error: unknown, isReported: boolean) {
      if (failures === 0 && isReported) onFailureStreak?.(error);
      failures++;
      isFailing = true;
    },
    /** The dependency answers: reports a recovery once per failure, and resets the backoff when `isOver`. */
    answered(isOver: boolean) {
      if (isFailing) onRecovered?.();
      isFailing = false;
      if (isOver) failures = 0;
    },
    restart() {
      failures = 0;
    },
  };
}

/**
 * Runs `step` until `signal` aborts, pausing as each step asks, and backing off after each failure.
 * A stop lets the step in hand finish. Never rejects: failures are retried, reported once per streak.
 */
export async function runLoop(options: RunLoopOptions): Promise<void> {
  const { signal, step, backoffMs, newStreakAfterMs = 0, health } = options;
  const streak = createStreak(options);
  let recoveredAtMs: number | undefined;
  const loop: LoopStep = {
    recovered() {
      recoveredAtMs = performance.now();
      streak.answered(false);
      health?.of.ended();
    },
  };
  while (!signal.aborted) {
    recoveredAtMs = undefined;
    let pauseMs: number;
    health?.of.started(health.turn);
    try {
      pauseMs = (await step(loop)) ?? 0;
      streak.answered(true);
      health?.of.ended();
    } catch (error) {
      health?.of.failed(error);
      if (recoveredAtMs !== undefined && performance.now() - recoveredAtMs >= newStreakAfterMs) streak.restart();
      // A step that fails because the loop is stopping is not worth a report.
      streak.failed(error, !signal.aborted);
      pauseMs = backoffMs(streak.failures - 1);
    }
    await pause(pauseMs, signal);
  }
}

export type RetryResult<T> = { isDone: true; value: T } | { isDone: false; error: unknown };

/**
 * Tries `attempt` until it resolves, backing off between tries; gives up only when `signal` has aborted
 * and a try failed, returning its error. The first try is made even when `signal` already aborted, so a
 * stop still finishes the work in hand when it can.
 */
export async function retryUntil<T>(attempt: () => Promise<T>, options: FailureStreakOptions): Promise<RetryResult<T>> {
  const { signal, backoffMs } = options;
  const streak = createStreak(options);
  for (;;) {
    try {
      const value = await attempt();
      streak.answered(true);
      return { isDone: true, value };
    } catch (error) {
      streak.failed(error, true);
      if (signal.aborted) return { isDone: false, error };
      await pause(backoffMs(streak.failures - 1), signal);
    }
  }
}

/**
 * A long-running job that starts once and stops on request: `signal` aborts when `stop` is called, and
 * `stop` resolves once the job's promise has settled (it finishes what it holds first).
 */
export function createStoppable(job: () => Promise<void>) {
  const stopping = new AbortController();
  let running: Promise<void> | undefined;
  return {
    signal: stopping.signal,
    /** Runs until `stop`; calling it again returns the same run. */
    run(): Promise<void> {
      running ??= job();
      return running;
    },
    async stop(): Promise<void> {
      stopping.abort();
      await running;
    },
  };
}
