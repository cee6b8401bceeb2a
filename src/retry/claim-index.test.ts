import { describe, expect, it } from 'vitest';
import { ClaimIndex, fingerprintOf } from './claim-index.ts';

describe('ClaimIndex', () => {
  it('tells claims on one ticket apart, keeps each once, and grows with the tickets', () => {
    const index = new ClaimIndex();
    const [a, b] = [fingerprintOf('claim-a'), fingerprintOf('claim-b')];
    expect(a).not.toBe(b);
    expect(index.add(7, a)).toBe(true);
    expect(index.add(7, a)).toBe(false);
    expect(index.add(7, b)).toBe(true);
    expect(index.add(1_000_000, a)).toBe(true);
    expect(index.size).toBe(3);
    expect([index.has(7, a), index.has(7, b), index.has(8, a), index.has(2_000_000, a)]).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect([index.hasTicket(7), index.hasTicket(8)]).toEqual([true, false]);
    expect([...index.entries()]).toEqual([
      [7, a],
      [7, b],
      [1_000_000, a],
    ]);
  });

  it('gives distinct claim ids distinct fingerprints', () => {
    const ids = Array.from({ length: 100_000 }, (_, i) => `c_${i.toString(16)}`);
    expect(new Set(ids.map(fingerprintOf)).size).toBe(ids.length);
  });
});
