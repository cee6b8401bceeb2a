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
  signal: AbortSignal;
  /** Stores a batch; when it rejects, draining ends with that error. */
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
 * Feeds the stream into batches, by size and by age, and hands each to `store`, one at a time, until the
 * stream fails, ends or `signal` aborts; the batch in hand is stored either way, then the promise settles
 * (rejecting with the stream's or `store`'s error). While a batch is stored the stream keeps filling the
 * next one, so Kafka's fetch and the decoding overlap the database's write instead of adding to it; the
 * stream pauses once that next batch is full, so a backlog waits in Kafka rather than in memory.
 */
export function drainInBatches(
  stream: Stream,
  { batchSize, flushIntervalMs, signal, store }: DrainOptions,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const batcher = createBatcher<Received>({ size: batchSize, flushIntervalMs });
    let timer: NodeJS.Timeout | undefined;
    let flushing = false;
    let ending = false;
    let failure: Error | undefined;
    const fail = (error: unknown) => {
      failure ??= error instanceof Error ? error : new Error(String(error));
    };

    const finish = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      if (failure === undefined) resolve();
      else reject(failure);
    };

    const flush = async () => {
      if (flushing) return;
      flushing = true;
      clearTimeout(timer);
      timer = undefined;
      try {
        while (batcher.count > 0 && (ending || batcher.msUntilDue(Date.now()) === 0)) {
          const batch = batcher.take();
          if (!ending) stream.resume();
          await store(batch);
        }
      } catch (error) {
        fail(error);
        ending = true;
      }
      flushing = false;
      if (ending) return finish();
      armTimer();
    };

    const armTimer = () => {
      const dueMs = batcher.msUntilDue(Date.now());
      if (dueMs === undefined || timer !== undefined) return;
      timer = setTimeout(() => {
        timer = undefined;
        void flush();
      }, dueMs);
    };

    function end(error?: unknown) {
      if (error !== undefined) fail(error);
      ending = true;
      if (!flushing) void flush();
    }

    stream.on('data', (message: Message<Buffer, Buffer, Buffer, Buffer>) => {
      if (!batcher.add(receive(message), Date.now())) armTimer();
      else if (flushing) stream.pause();
      else void flush();
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
