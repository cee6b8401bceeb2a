export interface BackoffOptions {
  /** Delay before the second attempt, in ms; each later attempt doubles it. */
  baseMs: number;
  /** The longest delay, in ms. */
  capMs: number;
}

/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half random, so retries of many
 * claims refused together spread out instead of hitting the database in lock step, and no delay falls
 * below half its step. `attempt` is the attempt that just failed (1 for the worker's first).
 */
export function backoffMs(attempt: number, { baseMs, capMs }: BackoffOptions, random: () => number = Math.random) {
  const step = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + (step / 2) * random());
}
