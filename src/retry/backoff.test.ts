import { describe, expect, it } from 'vitest';
import { backoffMs } from './backoff.ts';

const options = { baseMs: 1000, capMs: 60_000 };

describe('backoffMs', () => {
  it('doubles the delay with each attempt', () => {
    const top = (attempt: number) => backoffMs(attempt, options, () => 1);
    expect([1, 2, 3, 4].map(top)).toEqual([1000, 2000, 4000, 8000]);
  });

  it('keeps the random part within the upper half of each step', () => {
    expect(backoffMs(3, options, () => 0)).toBe(2000);
    expect(backoffMs(3, options, () => 0.5)).toBe(3000);
    for (let i = 0; i < 100; i++) {
      const delay = backoffMs(3, options);
      expect(delay).toBeGreaterThanOrEqual(2000);
      expect(delay).toBeLessThanOrEqual(4000);
    }
  });

  it('never exceeds the cap, however many attempts failed', () => {
    expect(backoffMs(7, options, () => 1)).toBe(60_000);
    expect(backoffMs(1000, options, () => 1)).toBe(60_000);
  });
});
