import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';

/** Where the claims topic lives; every role that talks to Kafka gets this slice of the config. */
export interface KafkaTarget {
  brokers: string[];
  topic: string;
}

/**
 * Options shared by every Kafka client. The library's own retries stay short: the relay and the worker
 * loop on failures with their own backoff, so an outage is survived at that level, not inside a request.
 */
export const kafkaClientOptions = (role: string) => ({
  clientId: `firstcome-${role}`,
  retries: 3,
  retryDelay: 250,
  connectTimeout: 5000,
  requestTimeout: 30_000,
});

/** A name no other process uses, for a relay's stream consumer or a Kafka client id. */
export const uniqueInstanceName = (role: string) =>
  `${role}-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;

/** Every worker of a topic shares one consumer group, so a topic's partitions are split among them. */
export const workerGroupId = (topic: string) => `firstcome-worker.${topic}`;
