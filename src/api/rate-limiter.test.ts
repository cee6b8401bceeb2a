import { describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limiter.ts';

describe('createRateLimiter', () => {
  it('allows a user the limit within one second, and again in the next', () => {
    let nowMs = 10_000;
    const limiter = createRateLimiter(2, () => nowMs);
    expect([limiter.allow('a'), limiter.allow('a'), limiter.allow('a'), limiter.allow('b')]).toEqual([
      true,
      true,
      false,
      true,
    ]);
    nowMs += 1000;
    expect(limiter.allow('a')).toBe(true);
  });
});
