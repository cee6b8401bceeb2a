import { describe, expect, it } from 'vitest';
import { paceFigures, type WindowSample } from './queue-pace.ts';

/** Advances every `tickMs` from t=0 at exactly `rate` per second, as advance-queue.lua computes the window. */
const steady = (rate: number, tickMs: number, untilMs: number, joined = 1e9): WindowSample[] =>
  Array.from({ length: Math.floor(untilMs / tickMs) + 1 }, (_, i) => ({
    atMs: 1_000_000 + i * tickMs,
    window: Math.min(joined, 50 + (rate * i * tickMs) / 1000),
    joined,
    callMs: 1,
  }));

describe('paceFigures', () => {
  it('reads an exact pace as no error, from the second after the first advance on', () => {
    const figures = paceFigures(steady(200, 100, 4000), 200, 3);
    expect(figures).toMatchObject({
      turnsPerSecond: [200, 200, 200],
      meanErrorPct: 0,
      worstErrorPct: 0,
      overallErrorPct: 0,
      tickMs: { mean: 100, max: 100 },
      windowAboveJoined: 0,
    });
  });

  it('counts the turns a poller sees begin in each second: a late tick moves them to the next second', () => {
    const samples = steady(200, 100, 4000).filter((s) => s.atMs !== 1_002_000);
    const figures = paceFigures(samples, 200, 3);
    expect(figures.turnsPerSecond).toEqual([180, 220, 200]);
    expect(figures).toMatchObject({ meanErrorPct: 6.67, worstErrorPct: 10, overallErrorPct: 0 });
    expect(figures.tickMs.max).toBe(200);
  });

  it('reads a window held at the joiners as short of the pace', () => {
    const figures = paceFigures(steady(200, 100, 3000, 450), 200, 2);
    expect(figures.turnsPerSecond).toEqual([200, 0]);
    expect(figures.worstErrorPct).toBe(-100);
    expect(figures.windowAboveJoined).toBe(0);
  });

  it('refuses samples that do not cover the seconds asked for and the one before', () => {
    expect(() => paceFigures(steady(200, 100, 2500), 200, 2)).toThrow(/do not cover 2 s/);
  });
});
