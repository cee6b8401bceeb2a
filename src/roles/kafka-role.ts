import type { Logger } from 'pino';
import { waitForClaimsTopic } from '../kafka/claims-topic.ts';
import type { KafkaTarget } from '../kafka/kafka-options.ts';

export interface KafkaRole {
  run(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs a relay or a worker once the claims topic exists (creating it when missing), retrying while
 * Kafka does not answer, so a role may start before its broker. `stop` works at any point of that.
 */
export function startWhenTopicReady(
  name: 'relay' | 'worker',
  role: KafkaRole,
  { kafka, partitions, log, details }: { kafka: KafkaTarget; partitions: number; log: Logger; details: object },
): { stop(): Promise<void> } {
  const stopping = new AbortController();
  const running = (async () => {
    const ready = await waitForClaimsTopic(kafka, partitions, {
      signal: stopping.signal,
      onFailureStreak: (error) =>
        log.warn({ err: error }, `${name}: cannot reach Kafka at ${kafka.brokers.join(',')} yet; retrying`),
    });
    if (ready) {
      if (ready.partitions < partitions) {
        // A consumer group gives each partition to one worker: workers beyond the partitions stand idle.
        log.warn(
          { topic: kafka.topic, partitions: ready.partitions, KAFKA_PARTITIONS: partitions },
          `the topic ${kafka.topic} has ${ready.partitions} partitions where KAFKA_PARTITIONS asks for ${partitions}: ` +
            `at most ${ready.partitions} workers share the writing. Add partitions (kafka-topics.sh --alter ` +
            `--topic ${kafka.topic} --partitions ${partitions}) or set KAFKA_PARTITIONS=${ready.partitions} to match`,
        );
      }
      log.info({ topic: kafka.topic, partitions: ready.partitions, ...details }, `${name} running`);
      await role.run();
    }
  })();
  return {
    async stop(): Promise<void> {
      stopping.abort();
      await role.stop();
      await running;
    },
  };
}
