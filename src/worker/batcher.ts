export interface BatcherOptions {
  /** Items that make a batch full. */
  size: number;
  /** A batch is due this long after its first item arrived, full or not. */
  flushIntervalMs: number;
}

/**
 * Collects items into batches by size and by age. Pure: the caller passes the time in and owns the
 * timer, so the rules are testable without clocks.
 */
export function createBatcher<T>({ size, flushIntervalMs }: BatcherOptions) {
  let items: T[] = [];
  let firstAtMs = 0;

  return {
    /** Adds an item; returns true when the batch is full and should be flushed now. */
    add(item: T, nowMs: number): boolean {
      if (items.length === 0) firstAtMs = nowMs;
      items.push(item);
      return items.length >= size;
    },

    /** Milliseconds until the batch is due by age: 0 when due, undefined when there is no batch. */
    msUntilDue(nowMs: number): number | undefined {
      if (items.length === 0) return undefined;
      if (items.length >= size) return 0;
      return Math.max(0, firstAtMs + flushIntervalMs - nowMs);
    },

    /** Hands over the collected items and starts a new batch. */
    take(): T[] {
      const batch = items;
      items = [];
      return batch;
    },

    get count(): number {
      return items.length;
    },
  };
}

export type Batcher<T> = ReturnType<typeof createBatcher<T>>;
