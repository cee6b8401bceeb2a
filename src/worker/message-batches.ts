import type { Message, MessagesStream } from '@platformatic/kafka';
import { decodeClaim, type DecodedMessage } from '../kafka/claim-codec.ts';
import { createBatcher } from './batcher.ts';

/** A message as the worker keeps it until its batch is stored and committed. */
export interface Received {
  partition: number;
  offset: bigint;
  decoded: DecodedMessage;
  userIdFromKey: string;
  timestampMs: number;
  /** Commits this message's offset + 1 for its partition, through the stream, which tracks it for lag. */
  commit: () => Promise<void>;
}

type Stream = MessagesStream<Buffer, Buffer, Buffer, Buffer>;

export interface DrainOptions {
  batchSize: number;
  flushIntervalMs: number;
  /** Batches handed to `store` and not yet settled, at most. */
  writesInFlight: number;
  signal: AbortSignal;
  /** Stores a batch; when it rejects, draining ends with that error once the other writes settled. */
  store: (batch: Received[]) => Promise<void>;
}

const receive = (message: Message<Buffer, Buffer, Buffer, Buffer>): Received => {
  const key = message.key?.toString('utf8') ?? '';
  return {
    partition: message.partition,
    offset: message.offset,
    decoded: decodeClaim(message.value),
    // PostgreSQL text cannot hold NUL; the key only names the user of a poison message.
    userIdFromKey: key.includes('\u0000') ? '' : key,
    timestampMs: Number(message.timestamp),
    commit: () => message.commit() ?? Promise.resolve(),
  };
};

/**
 * Feeds the stream into batches, by size and by age, and hands each to `store`, up to `writesInFlight` at
 * once, until the stream fails, ends or `signal` aborts; the batches in hand are stored either way, then
 * the promise settles (rejecting with the stream's or `store`'s error; after a failed write no further
 * batch is started). While batches are stored the stream keeps filling the next one, so Kafka's fetch and
 * the decoding overlap the database's writes instead of adding to them; the stream pauses once that next
 * batch is full and no write can take it, so a backlog waits in Kafka rather than in memory.
 */
export function drainInBatches(
  stream: Stream,
  { batchSize, flushIntervalMs, writesInFlight, signal, store }: DrainOptions,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const batcher = createBatcher<Received>({ size: batchSize, flushIntervalMs });
    const writes = new Set<Promise<void>>();
    let timer: NodeJS.Timeout | undefined;
    let ending = false;
    let settled = false;
    let failure: Error | undefined;
    const fail = (error: unknown) => {
      failure ??= error instanceof Error ? error : new Error(String(error));
    };

    const finish = () => {
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      if (failure === undefined) resolve();
      else reject(failure);
    };

    const startWrite = (batch: Received[]) => {
      const write: Promise<void> = store(batch)
        .catch((error: unknown) => {
          fail(error);
          ending = true;
        })
        .finally(() => {
          writes.delete(write);
          pump();
        });
      writes.add(write);
    };

    /** Starts every due batch a free write can take, then decides whether the stream may go on. */
    function pump() {
      if (settled) return;
      clearTimeout(timer);
      timer = undefined;
      const isDue = () => ending || batcher.msUntilDue(Date.now()) === 0;
      while (failure === undefined && writes.size < writesInFlight && batcher.count > 0 && isDue()) {
        startWrite(batcher.take());
      }
      if (ending) {
        if (writes.size === 0) finish();
        return;
      }
      if (batcher.count >= batchSize) stream.pause();
      else stream.resume();
      armTimer();
    }

    const armTimer = () => {
      const dueMs = batcher.msUntilDue(Date.now());
      if (dueMs === undefined || timer !== undefined) return;
      timer = setTimeout(() => {
        timer = undefined;
        pump();
      }, dueMs);
    };

    function end(error?: unknown) {
      if (error !== undefined) fail(error);
      ending = true;
      pump();
    }

    stream.on('data', (message: Message<Buffer, Buffer, Buffer, Buffer>) => {
      if (batcher.add(receive(message), Date.now())) pump();
      else armTimer();
    });
    // Kept after the drain ends: a stream may report a second error while closing, and an 'error'
    // event without a listener would crash the process.
    stream.on('error', (error: Error) => end(error));
    stream.once('close', () => end());
    const onAbort = () => end();
    if (signal.aborted) end();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}
