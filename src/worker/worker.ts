import { Consumer } from '@platformatic/kafka';
import type { Logger } from 'pino';
import type { AdmittedClaim } from '../claim.ts';
import type { FailedClaimInput, Store } from '../store/store.ts';
import { kafkaClientOptions, type KafkaTarget } from '../kafka/kafka-options.ts';
import type { Metrics } from '../metrics.ts';
import type { LoopHealth } from '../runtime/loop-health.ts';
import { type LoopStep, pause, retryUntil, runLoop, createStoppable } from '../runtime/run-loop.ts';
import { writeClaims, type ClaimBatch } from './claim-writer.ts';
import { drainInBatches, type Received } from './message-batches.ts';
import { createWriteLimiter } from './write-limiter.ts';

export interface WorkerOptions {
  /** The Kafka consumer group every worker of this topic joins. */
  groupId: string;
  /** Claims per database write. */
  batchSize: number;
  /** Batches written at once, each on its own connection, a batch's place held until its offsets are committed. @defaultValue 1 */
  writesInFlight?: number;
  /** A partial batch is written this long after its first claim arrived. */
  flushIntervalMs: number;
  /** Rows per second the worker may write; 0 means no limit. */
  maxWritesPerSec: number;
  /** How long Kafka waits for a silent worker before giving its partitions to others. @defaultValue 10000 */
  sessionTimeoutMs?: number;
}

export interface WorkerDeps {
  store: Store;
  kafka: KafkaTarget;
  log: Logger;
  metrics: Pick<Metrics, 'workerRows' | 'workerBatchSize' | 'workerBatchSeconds' | 'failedClaims' | 'kafkaConsumerLag'>;
  /** Hears joining the group and each batch, for /healthz. */
  health?: LoopHealth;
}

const lagEveryMs = 5000;
const healthyStreamMs = 10_000;
/** A log line per this period with something stored: one line per drop, not one per claim. */
const summaryEveryMs = 10_000;
const backoffMs = (failures: number) => Math.min(100 * 2 ** failures, 5000);
const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** A clean close leaves the group, so the partitions move to other workers at once; force skips waiting on streams. */
const closeConsumer = (consumer: Consumer, force: boolean) =>
  new Promise<void>((resolve) => consumer.close(force, () => resolve()));

/** What can be saved of a poison message: enough for an operator to find the claim and see why. */
const toFailure = (item: Received, claimId: string, partial: Partial<AdmittedClaim>, reason: string) => ({
  claim: {
    claimId,
    eventId: partial.eventId ?? '',
    userId: partial.userId ?? item.userIdFromKey,
    seq: partial.seq ?? 0,
    slot: partial.slot ?? 0,
    admittedAtMs: partial.admittedAtMs ?? item.timestampMs,
  },
  reason: `poison: ${reason}`,
});

/**
 * Kafka → PostgreSQL in batches. A batch's offsets are committed only after the database committed it,
 * so a crash anywhere means the batch comes again, and the idempotent insert makes that harmless.
 * A database outage holds the batch and retries it: nothing is skipped, and Kafka keeps the rest.
 */
export function createWorker({ store, kafka, log, metrics, health }: WorkerDeps, options: WorkerOptions) {
  const { groupId, flushIntervalMs, maxWritesPerSec, writesInFlight = 1, sessionTimeoutMs = 10_000 } = options;
  // A batch larger than a second's worth of rows would make the cap bursty.
  const batchSize = maxWritesPerSec > 0 ? Math.min(options.batchSize, maxWritesPerSec) : options.batchSize;
  const limiter = createWriteLimiter({ rowsPerSec: maxWritesPerSec, burstRows: batchSize });
  const lifecycle = createStoppable(() => loop());
  const sinceSummary = { issued: 0, duplicates: 0, failed: 0 };
  /** The last batch's place in the chain of offset commits: see storeBatch. */
  let commits = Promise.resolve();
  /** Batches taken and not yet committed: the health turn lasts while any is open. */
  let writesOpen = 0;

  function splitBatch(items: Received[]): ClaimBatch {
    const claims: AdmittedClaim[] = [];
    const poison: FailedClaimInput[] = [];
    for (const item of items) {
      const { decoded } = item;
      if (decoded.kind === 'claim') {
        claims.push(decoded.claim);
        continue;
      }
      const where = { partition: item.partition, offset: String(item.offset), reason: decoded.reason };
      if (decoded.claimId === undefined) {
        log.warn(where, 'worker: skipping a poison message that names no claim');
        continue;
      }
      log.warn({ ...where, claimId: decoded.claimId }, 'worker: poison message recorded as a failed claim');
      poison.push(toFailure(item, decoded.claimId, decoded.partial, decoded.reason));
    }
    return { claims, poison };
  }

  /** Retries through a database outage; gives up only when the worker stops (the batch is then not committed). */
  async function writeUntilStored(batch: ClaimBatch) {
    const written = await retryUntil(() => writeClaims(store, batch), {
      signal: lifecycle.signal,
      backoffMs,
      onFailureStreak: (error) =>
        log.warn({ err: error }, 'worker: database write failed; retrying the batch with backoff'),
      onRecovered: () => log.info({ claims: batch.claims.length }, 'worker: database writes again'),
    });
    if (written.isDone) return written.value;
    throw new Error('worker stopped before the database took the batch', { cause: written.error });
  }

  async function commitOffsets(items: Received[]) {
    const last = new Map<number, Received>();
    for (const item of items) {
      if (item.offset > (last.get(item.partition)?.offset ?? -1n)) last.set(item.partition, item);
    }
    // A failed commit (a rebalance, Kafka away) only means the batch is delivered again: it is stored already.
    await Promise.all([...last.values()].map((item) => item.commit())).catch((error: unknown) =>
      log.warn({ err: error }, 'worker: committing offsets failed; the batch will be delivered again'),
    );
  }

  async function writeBatch(items: Received[]) {
    const batch = splitBatch(items);
    const rows = batch.claims.length + batch.poison.length;
    const waitMs = limiter.reserve(rows, Date.now());
    if (waitMs > 0) await pause(waitMs, lifecycle.signal);
    if (rows === 0) return;
    const startedAt = performance.now();
    const outcome = await writeUntilStored(batch);
    const writeMs = performance.now() - startedAt;
    sinceSummary.issued += outcome.issued;
    sinceSummary.duplicates += outcome.duplicates;
    sinceSummary.failed += outcome.failures.length;
    metrics.workerRows.inc({ result: 'issued' }, outcome.issued);
    metrics.workerRows.inc({ result: 'duplicate' }, outcome.duplicates);
    metrics.workerRows.inc({ result: 'failed' }, outcome.failures.length);
    for (const { reason } of outcome.failures) metrics.failedClaims.inc({ reason: reason.split(':')[0] });
    metrics.workerBatchSize.observe(rows);
    metrics.workerBatchSeconds.observe(writeMs / 1000);
    log.debug({ rows, writeMs: Math.round(writeMs) }, 'worker: batch stored');
  }

  /**
   * Writes a batch, then commits its offsets once every earlier batch was stored and committed, so no
   * offset passes a claim not yet stored; a batch that was not stored rejects every later one. A batch
   * holds its write's place until then, so a write that hangs stops the others after at most
   * writesInFlight batches, and the loop reads as stalled.
   */
  async function storeBatch(items: Received[]) {
    if (writesOpen++ === 0) health?.started('a batch');
    const written = writeBatch(items);
    const earlier = commits;
    const committed = (async () => {
      await written;
      await earlier;
      await commitOffsets(items);
    })();
    commits = committed;
    try {
      await committed;
    } finally {
      // The turn's clock restarts while another batch is open: its age is understated by one batch at most.
      health?.ended();
      if (--writesOpen > 0) health?.started('a batch');
    }
  }

  function watchLag(consumer: Consumer) {
    consumer.on('consumer:lag', (lag) => {
      for (const [partition, behind] of (lag.get(kafka.topic) ?? []).entries()) {
        // -1 marks a partition another worker owns: its lag is that worker's to report.
        if (behind >= 0n) metrics.kafkaConsumerLag.set({ partition: String(partition) }, Number(behind));
        else metrics.kafkaConsumerLag.remove({ partition: String(partition) });
      }
    });
    consumer.on('consumer:lag:error', () => undefined);
    consumer.startLagMonitoring({ topics: [kafka.topic] }, lagEveryMs);
  }

  function newConsumer(): Consumer {
    return new Consumer({
      ...kafkaClientOptions('worker', kafka),
      groupId,
      sessionTimeout: sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.floor(sessionTimeoutMs / 10)),
      rebalanceTimeout: 30_000,
      maxWaitTime: 500,
      highWaterMark: Math.max(1024, batchSize * 2),
    });
  }

  function logSummary() {
    const { issued, duplicates, failed } = sinceSummary;
    if (issued + duplicates + failed === 0) return;
    log.info(
      sinceSummary,
      `worker: ${issued} coupons issued, ${duplicates} duplicates ignored, ${failed} claims failed`,
    );
    Object.assign(sinceSummary, { issued: 0, duplicates: 0, failed: 0 });
  }

  async function loop(): Promise<void> {
    const summary = setInterval(logSummary, summaryEveryMs);
    try {
      await consumeUntilStopped();
    } finally {
      clearInterval(summary);
      logSummary();
    }
  }

  /** One consumer, from joining the group until its stream fails or the worker stops. */
  async function consumeOnce(loop: LoopStep): Promise<void> {
    const consumer = newConsumer();
    let failed = false;
    try {
      const stream = await consumer.consume({
        topics: [kafka.topic],
        mode: 'committed',
        fallbackMode: 'earliest',
        autocommit: false,
      });
      loop.recovered();
      watchLag(consumer);
      try {
        await drainInBatches(stream, {
          batchSize,
          flushIntervalMs,
          writesInFlight,
          signal: lifecycle.signal,
          store: storeBatch,
        });
      } finally {
        // Every batch has settled once the drain has; a failed one must not hold up the next consumer's.
        commits = Promise.resolve();
        await stream.close().catch(() => undefined);
      }
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      await closeConsumer(consumer, failed);
    }
  }

  function consumeUntilStopped(): Promise<void> {
    return runLoop({
      signal: lifecycle.signal,
      step: consumeOnce,
      backoffMs,
      // A stream that served a while before failing starts a new streak: log it, and retry soon.
      newStreakAfterMs: healthyStreamMs,
      health: health && { of: health, turn: `joining the consumer group of ${kafka.topic}` },
      onFailureStreak: (error) =>
        log.warn({ err: error }, `worker: consuming ${kafka.topic} failed (${describe(error)}); retrying with backoff`),
      onRecovered: () => log.info('worker: consuming again'),
    });
  }

  return {
    /** Runs until `stop`; never rejects (failures are retried, and logged once per streak). */
    run: () => lifecycle.run(),
    /** Writes and commits the batch in hand, leaves the consumer group, then returns. */
    stop: () => lifecycle.stop(),
  };
}

export type Worker = ReturnType<typeof createWorker>;
