import { describe, expect, it } from 'vitest';
import { isAppError } from '../../errors.ts';
import { parseServeArgs } from './serve.ts';

describe('parseServeArgs', () => {
  it('takes --workers N, and leaves the number to API_WORKERS or the CPUs without it', () => {
    expect(parseServeArgs(['--workers', '4'])).toEqual({ workers: 4 });
    expect(parseServeArgs(['--workers=256'])).toEqual({ workers: 256 });
    expect(parseServeArgs([])).toEqual({ workers: undefined });
  });

  it.each([['0'], ['257'], ['2.5'], ['two'], ['-1'], ['']])('refuses --workers %j as a usage error', (value) => {
    let thrown: unknown;
    try {
      parseServeArgs([`--workers=${value}`]);
    } catch (error) {
      thrown = error;
    }
    expect(isAppError(thrown, 'INVALID_REQUEST')).toBe(true);
    expect((thrown as Error).message).toContain('--workers must be a whole number from 1 to 256');
  });

  it('refuses flags it does not know', () => {
    expect(() => parseServeArgs(['--threads', '2'])).toThrow(/firstcome serve/);
  });
});
