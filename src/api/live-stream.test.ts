import { describe, expect, it } from 'vitest';
import { type OutcomeCounts, zeroCounts } from './claim-tally.ts';
import type { EventReading } from './live-figures.ts';
import { ratesBetween } from './live-stream.ts';

const counts = (partial: Partial<OutcomeCounts> = {}): OutcomeCounts => ({ ...zeroCounts(), ...partial });

const reading = (atMs: number, figures: Partial<EventReading>): EventReading => ({
  atMs,
  event: { id: 'e', name: 'e', stock: 100, perUserLimit: 1, startsAt: null, endsAt: null, state: 'open' },
  admitted: 0,
  remaining: 100,
  issued: 0,
  failures: null,
  outbox: null,
  kafka: { lag: 0 },
  answered: counts(),
  trouble: [],
  ...figures,
});

describe('ratesBetween', () => {
  it('turns two readings into per-second rates over the time between them', () => {
    const before = reading(1000, { admitted: 10, issued: 0, answered: counts({ admitted: 10, sold_out: 4 }) });
    const now = reading(3000, { admitted: 50, issued: 30, answered: counts({ admitted: 50, sold_out: 104 }) });
    expect(ratesBetween(now, before)).toEqual({
      admittedPerSec: 20,
      issuedPerSec: 15,
      answeredPerSec: counts({ admitted: 20, sold_out: 50 }),
    });
  });

  it('has no rate for the first reading, nor for a figure a store did not give', () => {
    const first = reading(1000, { admitted: 10 });
    expect(ratesBetween(first, undefined)).toEqual({
      admittedPerSec: null,
      issuedPerSec: null,
      answeredPerSec: counts(),
    });
    expect(ratesBetween(reading(2000, { admitted: null, issued: 5 }), first)).toMatchObject({
      admittedPerSec: null,
      issuedPerSec: 5,
    });
  });

  it('takes the rate of answers over the times they were counted, and keeps the last rate for a count read twice', () => {
    // The API processes' count of answers is shared for a moment, so it may be older than the reading.
    const before = reading(1000, { answered: counts({ sold_out: 100 }), answeredAtMs: 500 });
    const now = reading(2000, { answered: counts({ sold_out: 400 }), answeredAtMs: 1500 });
    const rates = ratesBetween(now, before);
    expect(rates.answeredPerSec.sold_out).toBe(300);
    const again = reading(2100, { answered: counts({ sold_out: 400 }), answeredAtMs: 1500 });
    expect(ratesBetween(again, now, rates).answeredPerSec.sold_out).toBe(300);
  });

  it('never shows a negative rate when tickets go back to the gate', () => {
    expect(ratesBetween(reading(2000, { admitted: 8 }), reading(1000, { admitted: 10 })).admittedPerSec).toBe(0);
  });
});
