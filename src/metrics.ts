import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { claimOutcomes } from './claim.ts';

/** Every metric firstcome exports, on one registry per process; names share the `firstcome_` prefix. */
export function createMetrics() {
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
    retryOutcomes: new Counter({
      name: 'firstcome_retry_outcomes_total',
      help: 'Failed claims the retry job handled, by outcome (issued, retrying, dead)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    relayLagSeconds: new Histogram({
      name: 'firstcome_relay_lag_seconds',
      help: 'Time from admission (gate) to Kafka acknowledging the claim',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    workerBatchSeconds: new Histogram({
      name: 'firstcome_worker_batch_seconds',
      help: 'Time of one database batch write, commit included',
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
    dashboardStreams: new Gauge({
      name: 'firstcome_dashboard_streams',
      help: 'Dashboard live streams open on this API process',
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
