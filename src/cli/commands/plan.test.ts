import { describe, expect, it } from 'vitest';
import { parsePlanArgs } from './plan.ts';

describe('parsePlanArgs', () => {
  it('reads the rate and stock, with a per-user limit of 1 and 60 s to drain by default', () => {
    expect(parsePlanArgs(['--peak-claims-per-sec', '100000', '--stock', '5000'])).toEqual({
      input: { peakClaimsPerSec: 100_000, stock: 5000, perUserLimit: 1, drainSeconds: 60 },
      from: undefined,
      isJson: false,
    });
    expect(
      parsePlanArgs([
        '--peak-claims-per-sec=2.5',
        '--stock=10',
        '--per-user-limit=3',
        '--drain-seconds=30',
        '--from=r.json',
        '--json',
      ]),
    ).toMatchObject({
      input: { peakClaimsPerSec: 2.5, perUserLimit: 3, drainSeconds: 30 },
      from: 'r.json',
      isJson: true,
    });
  });

  it('refuses a missing rate or stock, a non-number, zero, a fractional limit and unknown flags', () => {
    expect(() => parsePlanArgs(['--stock', '5'])).toThrow(/--peak-claims-per-sec is required/);
    expect(() => parsePlanArgs(['--peak-claims-per-sec', '5'])).toThrow(/--stock is required/);
    expect(() => parsePlanArgs(['--peak-claims-per-sec', 'lots', '--stock', '5'])).toThrow(/positive number/);
    expect(() => parsePlanArgs(['--peak-claims-per-sec', '0', '--stock', '5'])).toThrow(/positive number/);
    expect(() => parsePlanArgs(['--peak-claims-per-sec', '5', '--stock', '5', '--per-user-limit', '1.5'])).toThrow(
      /whole number/,
    );
    expect(() => parsePlanArgs(['--peak-claims-per-sec', '5', '--stock', '5', '--workers', '2'])).toThrow(/workers/);
  });
});
