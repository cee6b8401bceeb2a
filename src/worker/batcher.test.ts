import { describe, expect, it } from 'vitest';
import { createBatcher } from './batcher.ts';

describe('createBatcher', () => {
  it('says a batch is full at `size` items and hands them over in arrival order', () => {
    const batcher = createBatcher<number>({ size: 3, flushIntervalMs: 100 });
    expect(batcher.add(1, 0)).toBe(false);
    expect(batcher.add(2, 1)).toBe(false);
    expect(batcher.add(3, 2)).toBe(true);
    expect(batcher.msUntilDue(2)).toBe(0);
    expect(batcher.take()).toEqual([1, 2, 3]);
    expect(batcher.count).toBe(0);
  });

  it('has nothing due while empty', () => {
    const batcher = createBatcher<number>({ size: 3, flushIntervalMs: 100 });
    expect(batcher.msUntilDue(1_000)).toBeUndefined();
    expect(batcher.take()).toEqual([]);
  });

  it('makes a partial batch due `flushIntervalMs` after its first item, not its last', () => {
    const batcher = createBatcher<string>({ size: 100, flushIntervalMs: 50 });
    batcher.add('a', 1_000);
    batcher.add('b', 1_040);
    expect(batcher.msUntilDue(1_040)).toBe(10);
    expect(batcher.msUntilDue(1_050)).toBe(0);
    expect(batcher.msUntilDue(2_000)).toBe(0);
  });

  it('starts the age of the next batch at its own first item', () => {
    const batcher = createBatcher<string>({ size: 100, flushIntervalMs: 50 });
    batcher.add('a', 0);
    batcher.take();
    batcher.add('b', 500);
    expect(batcher.msUntilDue(510)).toBe(40);
  });
});
