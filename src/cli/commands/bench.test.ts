import { describe, expect, it } from 'vitest';
import { isAppError } from '../../errors.ts';
import { loadBench } from './bench.ts';

describe('loadBench', () => {
  it('says how to get the chart packages when a production install left them out', async () => {
    const missing = Object.assign(new Error("Cannot find package 'vega' imported from src/bench/chart.ts"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    const error: unknown = await loadBench(() => Promise.reject(missing)).catch((e: unknown) => e);
    expect(isAppError(error)).toBe(true);
    expect((error as Error).message).toMatch(/Cannot find package 'vega'.*run `npm ci` without --omit=dev/);
  });

  it('passes any other failure on as it is', async () => {
    const other = new SyntaxError('broken');
    await expect(loadBench(() => Promise.reject(other))).rejects.toBe(other);
  });
});
