import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { encodeClaim } from '../kafka/claim-codec.ts';
import { drainInBatches, type Received } from './message-batches.ts';

type Stream = Parameters<typeof drainInBatches>[0];

/** A Kafka message as the consumer's stream emits it, for the offset given. */
const messageAt = (offset: number) => {
  const { key, value } = encodeClaim({
    claimId: `c${offset}`,
    eventId: 'e',
    userId: `u${offset}`,
    seq: offset + 1,
    slot: 1,
    admittedAtMs: 1,
  });
  return {
    key: Buffer.from(key),
    value: Buffer.from(value),
    partition: 0,
    offset: BigInt(offset),
    timestamp: 1n,
    commit: () => undefined,
  };
};

const deferred = () => {
  let resolve = () => {};
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
};

describe('drainInBatches', () => {
  it('fills the next batch while one is stored, pauses once it is full, and stores the rest when it ends', async () => {
    const stream = new PassThrough({ objectMode: true });
    const controller = new AbortController();
    const stored: number[][] = [];
    const firstWrite = deferred();
    const store = async (batch: Received[]) => {
      stored.push(batch.map((item) => Number(item.offset)));
      if (stored.length === 1) await firstWrite.promise;
    };
    const drained = drainInBatches(stream as unknown as Stream, {
      batchSize: 3,
      flushIntervalMs: 60_000,
      writesInFlight: 1,
      signal: controller.signal,
      store,
    });

    for (const offset of [0, 1, 2]) stream.write(messageAt(offset));
    await vi.waitFor(() => expect(stored).toEqual([[0, 1, 2]]));
    // The first batch's write is still open: the stream goes on into the next batch until that is full,
    // then pauses, so only the message beyond it waits in the stream.
    for (const offset of [3, 4, 5, 6]) stream.write(messageAt(offset));
    await vi.waitFor(() => expect(stream.readableLength).toBe(1));
    expect(stream.isPaused()).toBe(true);
    expect(stored).toEqual([[0, 1, 2]]);

    firstWrite.resolve();
    await vi.waitFor(() =>
      expect(stored).toEqual([
        [0, 1, 2],
        [3, 4, 5],
      ]),
    );
    await vi.waitFor(() => expect(stream.isPaused()).toBe(false));
    controller.abort();
    await drained;
    expect(stored).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
  });

  it('ends with the error of a failed write, after no further batch', async () => {
    const stream = new PassThrough({ objectMode: true });
    const stored: number[][] = [];
    const drained = drainInBatches(stream as unknown as Stream, {
      batchSize: 2,
      flushIntervalMs: 60_000,
      writesInFlight: 1,
      signal: new AbortController().signal,
      store: (batch) => {
        stored.push(batch.map((item) => Number(item.offset)));
        return Promise.reject(new Error('database away'));
      },
    });
    for (const offset of [0, 1, 2, 3]) stream.write(messageAt(offset));
    await expect(drained).rejects.toThrow('database away');
    expect(stored).toEqual([[0, 1]]);
  });

  it('writes up to writesInFlight batches at once, and the next waits for a free write', async () => {
    const stream = new PassThrough({ objectMode: true });
    const controller = new AbortController();
    const stored: number[][] = [];
    const writes = [deferred(), deferred()];
    const drained = drainInBatches(stream as unknown as Stream, {
      batchSize: 2,
      flushIntervalMs: 60_000,
      writesInFlight: 2,
      signal: controller.signal,
      store: async (batch) => {
        stored.push(batch.map((item) => Number(item.offset)));
        await writes[stored.length - 1]?.promise;
      },
    });

    for (const offset of [0, 1, 2, 3, 4, 5, 6]) stream.write(messageAt(offset));
    // Two writes open, a third batch full behind them, the stream paused with one message left in it.
    await vi.waitFor(() => expect(stream.readableLength).toBe(1));
    expect(stream.isPaused()).toBe(true);
    expect(stored).toEqual([
      [0, 1],
      [2, 3],
    ]);

    writes[1]!.resolve();
    await vi.waitFor(() =>
      expect(stored).toEqual([
        [0, 1],
        [2, 3],
        [4, 5],
      ]),
    );
    controller.abort();
    writes[0]!.resolve();
    await drained;
    expect(stored).toEqual([[0, 1], [2, 3], [4, 5], [6]]);
  });
});
