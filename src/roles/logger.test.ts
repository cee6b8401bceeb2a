import { describe, expect, it } from 'vitest';
import { logFormatOf } from './logger.ts';

describe('logFormatOf', () => {
  it.each([
    [{ isTerminal: true, nodeEnv: undefined }, 'pretty'],
    [{ isTerminal: true, nodeEnv: 'development' }, 'pretty'],
    [{ isTerminal: true, nodeEnv: 'production' }, 'json'],
    [{ isTerminal: false, nodeEnv: undefined }, 'json'],
    [{ isTerminal: false, nodeEnv: 'production' }, 'json'],
  ] as const)('%j: %s', (where, format) => {
    expect(logFormatOf(where)).toBe(format);
  });
});
