import { describe, expect, it } from 'vitest';
import { buildAttemptOrder, seededRandom } from './scenario.ts';

describe('buildAttemptOrder', () => {
  it('sends every user exactly `attempts` claims', () => {
    const order = buildAttemptOrder(1000, 3, 7);
    const perUser = new Map<number, number>();
    for (const user of order) perUser.set(user, (perUser.get(user) ?? 0) + 1);
    expect(order.length).toBe(3000);
    expect(perUser.size).toBe(1000);
    expect(new Set(perUser.values())).toEqual(new Set([3]));
  });

  it('gives every design the same order for the same seed, and a shuffled one', () => {
    const a = buildAttemptOrder(500, 2, 42);
    expect(buildAttemptOrder(500, 2, 42)).toEqual(a);
    expect(buildAttemptOrder(500, 2, 43)).not.toEqual(a);
    const inOrder = Uint32Array.from({ length: 1000 }, (_, i) => i % 500);
    expect(a).not.toEqual(inOrder);
  });
});

describe('seededRandom', () => {
  it('stays within [0, 1)', () => {
    const random = seededRandom(1);
    const draws = Array.from({ length: 10_000 }, random);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
  });
});
