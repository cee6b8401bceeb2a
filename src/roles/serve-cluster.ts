import type { EventId } from '../claim.ts';
import { createClusterMetrics, type MetricsSnapshot } from '../cluster-metrics.ts';
import type { Config } from '../config.ts';
import { type AnsweredReading, createClaimTally, createTallySums, type OutcomeCounts } from '../api/claim-tally.ts';
import { connectToPrimary, connectToWorkers, type WorkersChannel } from '../runtime/cluster-channel.ts';
import { runClusterWorker, superviseWorkers } from '../runtime/cluster-supervisor.ts';
import { createSharedReadings } from '../runtime/shared-readings.ts';
import { startApi, warnAboutSignIn } from './serve-api.ts';
import { closeRuntime, createLogger, listenersOf, onShutdown, openRuntime } from './runtime.ts';

/** What the primary answers an API process. */
interface PrimaryAnswers {
  /** /metrics of every API process together. */
  metrics(): Promise<string>;
  /** Every API process's answers about an event, summed. */
  answered(eventId: EventId): Promise<AnsweredReading>;
}

/** What an API process answers the primary. */
interface ProcessAnswers {
  metrics(): Promise<MetricsSnapshot>;
  tally(eventId: EventId): OutcomeCounts;
}

/**
 * A dashboard stream reads its event's answers once a second in the API process it is on; the primary
 * shares one count among all such reads for this long, so however many processes stream an event it
 * asks them about it about once a second. Under a second, so one stream alone always gets a fresh count.
 */
const answeredMaxAgeMs = 900;

/**
 * The primary of `serve --workers N`: keeps `count` API processes on the port, and answers what only
 * the whole of them can (metrics, the dashboard's answer counts). It opens no datastore connection.
 */
export async function runServePrimary(config: Config, count: number): Promise<void> {
  const log = createLogger(config, 'firstcome-api');
  warnAboutSignIn(config, log);
  const metrics = createClusterMetrics();
  const tallies = createTallySums();
  const supervisor = superviseWorkers({
    count,
    log,
    label: 'API process',
    onExit: (worker) => {
      metrics.retire(worker.id);
      tallies.retire(worker.id);
    },
  });
  const answered = createSharedReadings(answeredMaxAgeMs, async (eventId: EventId): Promise<OutcomeCounts> => {
    const answers = await processes.askAll(supervisor.listening(), 'tally', eventId);
    return tallies.sum(
      eventId,
      answers.map((answer) => ({ process: answer.worker.id, counts: 'value' in answer ? answer.value : undefined })),
    );
  });
  const processes: WorkersChannel<ProcessAnswers> = connectToWorkers<ProcessAnswers, PrimaryAnswers>({
    async metrics() {
      const answers = await processes.askAll(supervisor.listening(), 'metrics');
      return metrics.render(
        answers.map((answer) => ({
          id: answer.worker.id,
          slot: supervisor.slotOf(answer.worker),
          snapshot: 'value' in answer ? answer.value : undefined,
        })),
        { restarts: supervisor.restarts() },
      );
    },
    async answered(eventId) {
      const { value, atMs } = await answered.read(eventId);
      return { counts: value, atMs };
    },
  });
  onShutdown(log, async () => {
    const isClean = await supervisor.stop();
    processes.close();
    if (!isClean) throw new Error('an API process did not stop cleanly');
  });
  await supervisor.ready;
  log.info({ ...listenersOf(config), processes: count }, 'API listening');
}

/** One API process of `serve --workers N`: the API as `serve` runs it, reading the whole's figures through the primary. */
export function runServeWorker(config: Config): void {
  const log = createLogger(config, 'firstcome-api');
  runClusterWorker(
    async () => {
      const runtime = await openRuntime(config, log);
      const tally = createClaimTally();
      const primary = connectToPrimary<PrimaryAnswers, ProcessAnswers>({
        metrics: () => runtime.metrics.registry.getMetricsAsJSON(),
        tally: (eventId) => tally.read(eventId),
      });
      const api = await startApi(runtime, {
        tally,
        cluster: {
          readMetrics: () => primary.ask('metrics'),
          readAnswered: (eventId) => primary.ask('answered', eventId),
        },
      });
      return async () => {
        await api.stop();
        primary.close();
        await closeRuntime(runtime);
      };
    },
    (error) => log.error({ err: error }, 'shutdown failed'),
  );
}
