import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { GateHandle } from '../gate/open-gate.ts';
import { uniqueInstanceName } from '../kafka/kafka-options.ts';
import { createMetrics, type Metrics } from '../metrics.ts';
import { createLoopHealth, type LoopHealth } from '../runtime/loop-health.ts';
import { createClaimProducer } from '../relay/claim-producer.ts';
import { createRelay } from '../relay/relay.ts';
import { kafkaTargetOf, startWhenTopicReady } from './kafka-role.ts';
import { connectGate, createLogger, onShutdown, serveMetrics } from './runtime.ts';

/** The relay role on connections it is given; returns at once, and `stop` finishes the batch in hand. */
export function startRelay({
  config,
  log,
  gate,
  metrics,
  health,
}: {
  config: Config;
  log: Logger;
  gate: GateHandle;
  metrics: Metrics;
  health?: LoopHealth;
}) {
  const kafka = kafkaTargetOf(config);
  const consumerName = uniqueInstanceName('relay');
  const reader = gate.createOutboxConsumer({
    consumerName,
    batchSize: config.RELAY_BATCH_SIZE,
    claimIdleMs: config.RELAY_CLAIM_IDLE_MS,
  });
  const producer = createClaimProducer(kafka);
  const relay = createRelay(
    { reader, producer, log, metrics, health },
    { batchSize: config.RELAY_BATCH_SIZE, takeOverEveryMs: Math.min(5000, Math.ceil(config.RELAY_CLAIM_IDLE_MS / 4)) },
  );
  const role = startWhenTopicReady('relay', relay, { config, log, details: { consumerName } });
  return {
    async stop(): Promise<void> {
      await role.stop();
      await producer.close();
    },
  };
}

/** `firstcome relay`: needs Redis and Kafka only, not the database. */
export async function runRelay(config: Config): Promise<void> {
  const log = createLogger(config, 'firstcome-relay');
  const gate = await connectGate(config, log);
  const metrics = createMetrics();
  const health = createLoopHealth('relay', config.LOOP_STALL_MS);
  health.started('reaching Kafka and the claims topic');
  const relay = startRelay({ config, log, gate, metrics, health });
  const stopMetrics = await serveMetrics(config, metrics, health);
  onShutdown(log, async () => {
    await relay.stop();
    await stopMetrics();
    await gate.close();
  });
}
