import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { isAppError } from '../errors.ts';
import { waitForClaimsTopic } from '../kafka/claims-topic.ts';
import type { KafkaSecurity, KafkaTarget } from '../kafka/kafka-options.ts';

export interface KafkaRole {
  run(): Promise<void>;
  stop(): Promise<void>;
}

function kafkaSecurityOf(config: Config): KafkaSecurity {
  const { KAFKA_SSL_CA_FILE: ca, KAFKA_SSL_CERT_FILE: cert, KAFKA_SSL_KEY_FILE: key } = config;
  const { KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: username } = config;
  const password = config.KAFKA_SASL_PASSWORD ?? config.KAFKA_SASL_PASSWORD_FILE;
  return {
    ...(config.KAFKA_SSL && { tls: { ...(ca && { ca }), ...(cert && key && { cert, key }) } }),
    // config.ts refuses a mechanism without a username and a password.
    ...(mechanism && username && password && { sasl: { mechanism, username, password } }),
  };
}

/** The Kafka slice of the configuration: the brokers, the claims topic, and how to connect to them. */
export const kafkaTargetOf = (config: Config): KafkaTarget => ({
  brokers: config.KAFKA_BROKERS,
  topic: config.KAFKA_TOPIC,
  security: kafkaSecurityOf(config),
});

/**
 * Runs a relay or a worker once the claims topic exists (creating it when missing), retrying while
 * Kafka does not answer, so a role may start before its broker. `stop` works at any point of that.
 * Kafka refusing the credentials or the certificates ends the process with one line saying what to fix.
 */
export function startWhenTopicReady(
  name: 'relay' | 'worker',
  role: KafkaRole,
  { config, log, details }: { config: Config; log: Logger; details: object },
): { stop(): Promise<void> } {
  const kafka = kafkaTargetOf(config);
  const partitions = config.KAFKA_PARTITIONS;
  const stopping = new AbortController();
  const running = (async () => {
    const ready = await waitForClaimsTopic(kafka, partitions, {
      signal: stopping.signal,
      onFailureStreak: (error) =>
        log.warn({ err: error }, `${name}: cannot reach Kafka at ${kafka.brokers.join(',')} yet; retrying`),
      replication: {
        replicationFactor: config.KAFKA_REPLICATION_FACTOR,
        minInsyncReplicas: config.KAFKA_MIN_INSYNC_REPLICAS,
      },
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
      // The relay acknowledges the outbox once Kafka holds a claim: on one replica, that broker's disk is all there is.
      if (name === 'relay' && ready.replicas === 1 && config.NODE_ENV === 'production') {
        log.warn(
          { topic: kafka.topic, replicas: ready.replicas },
          `the topic ${kafka.topic} has one replica: admitted claims not yet written are lost with its broker's ` +
            `disk. Create it with KAFKA_REPLICATION_FACTOR=3 (or raise it with kafka-reassign-partitions.sh)`,
        );
      }
      log.info(
        { topic: kafka.topic, partitions: ready.partitions, replicas: ready.replicas, ...details },
        `${name} running`,
      );
      await role.run();
    }
  })().catch((error: unknown) => {
    if (!isAppError(error, 'KAFKA_REFUSED')) throw error;
    log.fatal(`${name}: ${error.message}`);
    process.exit(1);
  });
  return {
    async stop(): Promise<void> {
      stopping.abort();
      await role.stop();
      await running;
    },
  };
}
