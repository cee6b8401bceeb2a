import { describe, expect, it } from 'vitest';
import { createWriteLimiter } from './write-limiter.ts';

/** Writes `batches` batches of `rows` as fast as the limiter allows; returns when the last one went. */
function simulate(limiter: ReturnType<typeof createWriteLimiter>, batches: number, rows: number): number {
  let nowMs = 0;
  for (let i = 0; i < batches; i++) nowMs += limiter.reserve(rows, nowMs);
  return nowMs;
}

describe('createWriteLimiter', () => {
  it('never waits when the rate is 0 (no limit)', () => {
    const limiter = createWriteLimiter({ rowsPerSec: 0 });
    expect(simulate(limiter, 100, 5000)).toBe(0);
  });

  it('lets a burst through at once, then holds writes to the rate', () => {
    const limiter = createWriteLimiter({ rowsPerSec: 1000, burstRows: 500 });
    expect(limiter.reserve(500, 0)).toBe(0);
    expect(limiter.reserve(500, 0)).toBe(500);
    expect(limiter.reserve(100, 500)).toBe(100);
  });

  it('keeps a long run of batches at the rate: 100 batches of 1000 rows at 5000 rows/s take 20 s less the burst', () => {
    const limiter = createWriteLimiter({ rowsPerSec: 5000, burstRows: 1000 });
    expect(simulate(limiter, 100, 1000)).toBe(19_800);
  });

  it('lets a batch larger than the bucket through after the wait its size costs', () => {
    const limiter = createWriteLimiter({ rowsPerSec: 100, burstRows: 100 });
    expect(limiter.reserve(300, 0)).toBe(2000);
    expect(limiter.reserve(100, 2000)).toBe(1000);
  });

  it('refills while idle, up to the burst only', () => {
    const limiter = createWriteLimiter({ rowsPerSec: 1000, burstRows: 200 });
    expect(limiter.reserve(200, 0)).toBe(0);
    expect(limiter.reserve(200, 60_000)).toBe(0);
    expect(limiter.reserve(200, 60_000)).toBe(200);
  });
});
