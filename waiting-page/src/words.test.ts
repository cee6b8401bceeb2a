import { describe, expect, it } from 'vitest';
import { describeWaiting, formatClock, formatEta } from './words.ts';

describe("the waiting page's words", () => {
  it('writes a countdown as a clock, with days past a day', () => {
    expect(formatClock(65_000)).toBe('00:01:05');
    expect(formatClock(90_061_000)).toBe('1d 01:01:01');
    expect(formatClock(-5)).toBe('00:00:00');
  });

  it('rounds an estimate to what a person can use', () => {
    expect(formatEta(3)).toBe('a few seconds');
    expect(formatEta(44)).toBe('about 40 seconds');
    expect(formatEta(61)).toBe('about a minute');
    expect(formatEta(1500)).toBe('about 25 minutes');
    expect(formatEta(4 * 3600)).toBe('about 4 hours');
  });

  it('says the place, who is ahead and when the turn comes', () => {
    expect(describeWaiting({ position: 1234, ahead: 1, etaSeconds: 2 })).toEqual({
      status: 'You are number 1,234 in line.',
      detail: '1 person ahead of you. Your turn in a few seconds.',
    });
    expect(describeWaiting({ position: 2, ahead: 0 })).toEqual({
      status: 'You are number 2 in line.',
      detail: 'Nobody is ahead of you.',
    });
  });
});
