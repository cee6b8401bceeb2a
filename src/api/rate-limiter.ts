import type { UserId } from '../claim.ts';

/**
 * Claims per user per second, per API process, for operators who set RATE_LIMIT_PER_SEC. A fixed
 * one-second window keeps the check to a map look-up; the map is dropped each window, so it holds
 * only the users of the last second.
 */
export function createRateLimiter(limitPerSec: number, now: () => number = Date.now) {
  let windowStart = 0;
  let counts = new Map<UserId, number>();
  return {
    allow(userId: UserId): boolean {
      const second = Math.floor(now() / 1000);
      if (second !== windowStart) {
        windowStart = second;
        counts = new Map();
      }
      const count = (counts.get(userId) ?? 0) + 1;
      counts.set(userId, count);
      return count <= limitPerSec;
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
