import { describe, expect, it } from 'vitest';
import { createTallySums, type OutcomeCounts, zeroCounts } from './claim-tally.ts';

const counts = (partial: Partial<OutcomeCounts>): OutcomeCounts => ({ ...zeroCounts(), ...partial });

describe('createTallySums', () => {
  it("sums the processes' answers about an event, each event on its own", () => {
    const sums = createTallySums();
    expect(
      sums.sum('e', [
        { process: 1, counts: counts({ admitted: 2, sold_out: 1 }) },
        { process: 2, counts: counts({ admitted: 3 }) },
      ]),
    ).toEqual(counts({ admitted: 5, sold_out: 1 }));
    expect(sums.sum('f', [{ process: 1, counts: counts({ ended: 4 }) }])).toEqual(counts({ ended: 4 }));
  });

  it('counts a process that did not answer with what it said last, and keeps what an exited one counted', () => {
    const sums = createTallySums();
    sums.sum('e', [
      { process: 1, counts: counts({ admitted: 2 }) },
      { process: 2, counts: counts({ admitted: 3 }) },
    ]);
    expect(
      sums.sum('e', [
        { process: 1, counts: undefined },
        { process: 2, counts: counts({ admitted: 4 }) },
      ]),
    ).toEqual(counts({ admitted: 6 }));
    sums.retire(1);
    expect(
      sums.sum('e', [
        { process: 2, counts: counts({ admitted: 5 }) },
        { process: 3, counts: counts({ sold_out: 1 }) },
      ]),
    ).toEqual(counts({ admitted: 7, sold_out: 1 }));
  });
});
