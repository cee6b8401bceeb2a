export interface WriteLimiterOptions {
  /** Rows per second the database may take; 0 means no limit. */
  rowsPerSec: number;
  /** Rows that may be written at once after a quiet spell. @defaultValue rowsPerSec */
  burstRows?: number;
}

/**
 * A token bucket over rows. Pure: the caller passes the time in and waits what `reserve` answers, so a
 * batch larger than the bucket still goes through, after the wait that keeps the average at the rate.
 */
export function createWriteLimiter({ rowsPerSec, burstRows = rowsPerSec }: WriteLimiterOptions) {
  const ratePerMs = rowsPerSec / 1000;
  let tokens = burstRows;
  let updatedAtMs: number | undefined;

  return {
    /** Takes `rows` from the bucket and returns how many milliseconds to wait before writing them. */
    reserve(rows: number, nowMs: number): number {
      if (rowsPerSec <= 0) return 0;
      if (updatedAtMs !== undefined) tokens = Math.min(burstRows, tokens + (nowMs - updatedAtMs) * ratePerMs);
      updatedAtMs = nowMs;
      const waitMs = tokens >= rows ? 0 : Math.ceil((rows - tokens) / ratePerMs);
      // Tokens may go below zero: the rows are paid for by the wait, and the next reserve starts in debt.
      tokens -= rows;
      return waitMs;
    },
  };
}

export type WriteLimiter = ReturnType<typeof createWriteLimiter>;
