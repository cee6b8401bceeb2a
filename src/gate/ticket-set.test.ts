import { describe, expect, it } from 'vitest';
import { TicketSet } from './ticket-set.ts';

describe('TicketSet', () => {
  it('holds tickets far beyond its first size, and lists the missing ones in chunks', () => {
    const set = new TicketSet();
    for (const ticket of [1, 3, 31, 32, 100_000]) set.add(ticket);
    expect([1, 2, 31, 32, 33, 100_000, 100_001].map((t) => set.has(t))).toEqual([
      true,
      false,
      true,
      true,
      false,
      true,
      false,
    ]);
    expect([...set.missing(6, 2)]).toEqual([
      [2, 4],
      [5, 6],
    ]);
    expect([...set.missing(100_000, 1_000_000)][0]).toHaveLength(100_000 - 5);
  });
});
