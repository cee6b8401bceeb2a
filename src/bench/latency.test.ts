import { describe, expect, it } from 'vitest';
import { summarizeLatencies } from './latency.ts';

describe('summarizeLatencies', () => {
  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(summarizeLatencies(values)).toEqual({ p50: 50, p99: 99, max: 100, mean: 50.5 });
  });

  it('answers zeros when nothing completed', () => {
    expect(summarizeLatencies([])).toEqual({ p50: 0, p99: 0, max: 0, mean: 0 });
  });
});
