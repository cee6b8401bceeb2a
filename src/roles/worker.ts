import type { Config } from '../config.ts';
import { workerGroupId } from '../kafka/kafka-options.ts';
import { createWorker } from '../worker/worker.ts';
import { createLoopHealth, type LoopHealth } from '../runtime/loop-health.ts';
import { kafkaTargetOf, startWhenTopicReady } from './kafka-role.ts';
import { startDriftWatch } from './reconcile.ts';
import { startRetryJob } from './retry.ts';
import { closeRuntime, createLogger, onShutdown, openRuntime, type Runtime, serveMetrics } from './runtime.ts';

/** The worker role on connections it is given; returns at once, and `stop` writes and commits the batch in hand. */
export function startWorker({
  config,
  log,
  store,
  metrics,
  health,
}: Pick<Runtime, 'config' | 'log' | 'store' | 'metrics'> & { health?: LoopHealth }) {
  const kafka = kafkaTargetOf(config);
  const worker = createWorker(
    { store, kafka, log, metrics, health },
    {
      groupId: workerGroupId(kafka.topic),
      batchSize: config.WORKER_BATCH_SIZE,
      flushIntervalMs: config.WORKER_FLUSH_INTERVAL_MS,
      writesInFlight: config.WORKER_WRITES_IN_FLIGHT,
      maxWritesPerSec: config.DB_MAX_WRITES_PER_SEC,
    },
  );
  return startWhenTopicReady('worker', worker, {
    config,
    log,
    details: { maxWritesPerSec: config.DB_MAX_WRITES_PER_SEC },
  });
}

/** `firstcome worker`: migrates the database, then writes coupons until SIGTERM. */
export async function runWorker(config: Config): Promise<void> {
  const log = createLogger(config, 'firstcome-worker');
  const runtime = await openRuntime(config, log);
  const health = createLoopHealth('worker', config.LOOP_STALL_MS);
  health.started('reaching Kafka and the claims topic');
  const worker = startWorker({ ...runtime, health });
  const retryJob = startRetryJob(runtime);
  const driftWatch = startDriftWatch(runtime);
  const stopMetrics = await serveMetrics(config, runtime.metrics, health);
  onShutdown(log, async () => {
    await retryJob.stop();
    await driftWatch.stop();
    await worker.stop();
    await stopMetrics();
    await closeRuntime(runtime);
  });
}
