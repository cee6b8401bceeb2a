import { Counter, Gauge, type GaugeConfiguration, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { readBuildInfo } from './build-info.ts';
import { claimOutcomes } from './claim.ts';

/** A gauge whose samples are read afresh at each scrape, by the part of the process that can read them. */
export type ScrapedGauge<L extends string> = Gauge<L> & {
  /**
   * Sets what reads its samples at each scrape (undefined: nothing). Until then, and whenever the reading
   * fails, it has no sample at all, so that no process reports a figure it cannot see.
   */
  readWith(read: GaugeReader<L> | undefined): void;
};

type GaugeReader<L extends string> = (gauge: Gauge<L>) => Promise<void>;

function createScrapedGauge<L extends string>({
  read,
  ...config
}: GaugeConfiguration<L> & { read?: GaugeReader<L> | undefined }): ScrapedGauge<L> {
  let reader = read;
  const hasLabels = (config.labelNames?.length ?? 0) > 0;
  const gauge = new Gauge<L>({
    ...config,
    async collect() {
      // A gauge without labels starts at 0 after a reset: it would say "0" for what nobody read.
      const clear = () => {
        this.reset();
        if (!hasLabels) this.remove();
      };
      clear();
      await reader?.(this).catch(clear);
    },
  });
  return Object.assign(gauge, { readWith: (read: typeof reader) => void (reader = read) });
}

/**
 * Why a queue request (join, poll, claim of a queued event) was refused before it did anything: the
 * labels of firstcome_queue_refusals_total, one list for every part that refuses.
 */
export const queueRefusalReasons = [
  'rate_limited_user',
  'rate_limited_ip',
  'challenge_failed',
  'token_missing',
  'token_invalid',
  'token_wrong_user',
  'token_wrong_event',
  'token_used',
] as const;
export type QueueRefusalReason = (typeof queueRefusalReasons)[number];

export interface MetricsSources {
  /** The process's database pool (the store): its connections by state, read at each scrape. */
  pool?: { readPoolUsage(): { busy: number; idle: number; waiting: number } | undefined };
}

/** Every metric firstcome exports, on one registry per process; names share the `firstcome_` prefix. */
export function createMetrics({ pool }: MetricsSources = {}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'firstcome_' });
  const registers = [registry];
  return {
    registry,
    claims: new Counter({
      name: 'firstcome_claims_total',
      help: `Claims answered, by outcome (${claimOutcomes.join(', ')})`,
      labelNames: ['outcome'] as const,
      registers,
    }),
    gateSeconds: new Histogram({
      name: 'firstcome_gate_seconds',
      help: 'Time of one admit-claim round trip to Redis',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    fastPathHits: new Counter({
      name: 'firstcome_fast_path_hits_total',
      help: 'Claims answered from the process memory of sold-out and ended events, without Redis',
      labelNames: ['verdict'] as const,
      registers,
    }),
    relayedClaims: new Counter({
      name: 'firstcome_relay_claims_total',
      help: 'Admitted claims the relay moved from the outbox to Kafka',
      registers,
    }),
    relayBacklog: new Gauge({
      name: 'firstcome_relay_backlog',
      help: 'Outbox entries the relay read but Kafka has not yet acknowledged',
      registers,
    }),
    workerRows: new Counter({
      name: 'firstcome_worker_rows_total',
      help: 'Claims the worker wrote, by result (issued, duplicate, failed)',
      labelNames: ['result'] as const,
      registers,
    }),
    workerBatchSize: new Histogram({
      name: 'firstcome_worker_batch_size',
      help: 'Claims per database batch',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2000, 5000],
      registers,
    }),
    retryOutcomes: deadAtZero(
      new Counter({
        name: 'firstcome_retry_outcomes_total',
        help: 'Failed claims the retry job handled, by outcome (issued, retrying, dead)',
        labelNames: ['outcome'] as const,
        registers,
      }),
    ),
    relayLagSeconds: new Histogram({
      name: 'firstcome_relay_lag_seconds',
      help: 'Time from admission (gate) to Kafka acknowledging the claim',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    workerBatchSeconds: new Histogram({
      name: 'firstcome_worker_batch_seconds',
      help: 'Time of one database batch write (the database transaction; Kafka offsets are committed after it, alongside the next write)',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    kafkaConsumerLag: new Gauge({
      name: 'firstcome_kafka_consumer_lag',
      help: "Messages on the claims topic not yet committed by the workers' group, as a worker last saw it",
      labelNames: ['partition'] as const,
      registers,
    }),
    failedClaims: new Counter({
      name: 'firstcome_failed_claims_total',
      help: 'Claims the worker could not issue and recorded in failed_claims, by reason (beyond_stock, ...)',
      labelNames: ['reason'] as const,
      registers,
    }),
    reconcileDrift: new Gauge({
      name: 'firstcome_reconcile_drift',
      help: 'Claims and tickets on which gate and database disagree at the last drift check, per event (see firstcome reconcile)',
      labelNames: ['event'] as const,
      registers,
    }),
    queueRefusals: everyLabelAtZero(
      new Counter({
        name: 'firstcome_queue_refusals_total',
        help: `Queue requests refused before they did anything, by reason (${queueRefusalReasons.join(', ')})`,
        labelNames: ['reason'] as const,
        registers,
      }),
      queueRefusalReasons,
    ),
    dashboardStreams: new Gauge({
      name: 'firstcome_dashboard_streams',
      help: 'Dashboard live streams open on this API process',
      registers,
    }),
    httpRequestSeconds: new Histogram({
      name: 'firstcome_http_request_duration_seconds',
      help: 'Time from a request arriving to its answer sent, by method, route (its pattern) and status code',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    }),
    // The figures below are the deployment's, not the process's: every API process reads the same, so
    // `serve --workers N` shows one process's reading (max), not N times it.
    outboxLength: createScrapedGauge({
      name: 'firstcome_outbox_length',
      help: "Admitted claims in an active event's outbox streams (every shard's), not yet relayed to Kafka, read from the gate",
      labelNames: ['event'] as const,
      aggregator: 'max',
      registers,
    }),
    kafkaGroupLag: createScrapedGauge({
      name: 'firstcome_kafka_group_lag',
      help: "Messages on the claims topic the workers' consumer group has not committed, read from the broker by the API",
      labelNames: ['topic', 'group'] as const,
      aggregator: 'max',
      registers,
    }),
    gateUp: createScrapedGauge({
      name: 'firstcome_gate_up',
      help: "1 when the gate's Redis answered a PING at this scrape, 0 when it did not",
      aggregator: 'min',
      registers,
    }),
    dbPoolConnections: createScrapedGauge({
      name: 'firstcome_db_pool_connections',
      help: "The database pool's connections by state (busy, idle), and queries waiting for one (waiting)",
      labelNames: ['state'] as const,
      registers,
      read:
        pool &&
        (async (gauge) => {
          for (const [state, count] of Object.entries(pool.readPoolUsage() ?? {})) gauge.set({ state }, count);
        }),
    }),
    buildInfo: buildInfoGauge(registers),
  };
}

/**
 * The dead series exists from the start at 0: Prometheus's increase() cannot see a series' first
 * sample, so a process's first dead claim would otherwise never raise FirstcomeFailedClaimsDead.
 */
function deadAtZero(counter: Counter<'outcome'>) {
  counter.labels('dead').inc(0);
  return counter;
}

/** Every reason's series exists from the start at 0, for the same reason as deadAtZero's. */
function everyLabelAtZero<L extends string>(counter: Counter<L>, values: readonly string[]) {
  for (const value of values) counter.labels(value).inc(0);
  return counter;
}

function buildInfoGauge(registers: Registry[]) {
  const gauge = new Gauge({
    name: 'firstcome_build_info',
    help: 'Always 1; its labels say which firstcome runs: version, Node.js version, git commit (unknown outside a checkout)',
    labelNames: ['version', 'node_version', 'commit'] as const,
    aggregator: 'first',
    registers,
  });
  const { version, commit } = readBuildInfo();
  gauge.set({ version, node_version: process.version, commit }, 1);
  return gauge;
}

export type Metrics = ReturnType<typeof createMetrics>;
