import { describe, expect, it } from 'vitest';
import { faultKinds, planFaults } from './plan.ts';
import { mulberry32 } from './prng.ts';

describe('planFaults', () => {
  it('is a pure function of the seed and the window', () => {
    expect(planFaults(42, 60_000)).toEqual(planFaults(42, 60_000));
    expect(planFaults(42, 60_000)).not.toEqual(planFaults(43, 60_000));
  });

  it('gives every kind a turn first, then keeps faults a few seconds apart inside the window', () => {
    const plan = planFaults(7, 120_000);
    expect(new Set(plan.slice(0, faultKinds.length).map((f) => f.kind))).toEqual(new Set(faultKinds));
    for (const [i, f] of plan.entries()) {
      expect(f.atMs).toBeLessThan(120_000);
      if (i > 0) expect(f.atMs - plan[i - 1]!.atMs).toBeGreaterThanOrEqual(2000);
    }
  });

  it('a shorter window is a prefix of a longer one', () => {
    const long = planFaults(9, 120_000);
    const short = planFaults(9, 30_000);
    expect(long.slice(0, short.length)).toEqual(short);
  });
});

describe('mulberry32', () => {
  it('repeats its sequence for a seed and stays in [0, 1)', () => {
    const a = mulberry32(1);
    const b = mulberry32(1);
    for (let i = 0; i < 1000; i++) {
      const x = a();
      expect(x).toBe(b());
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });
});
