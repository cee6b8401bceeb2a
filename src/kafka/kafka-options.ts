import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { kafkaSaslMechanisms } from '../config.ts';

export type SaslMechanism = (typeof kafkaSaslMechanisms)[number];

/** How to reach brokers that ask for more than a plaintext connection (managed Kafka). */
export interface KafkaSecurity {
  /**
   * TLS to every broker when present: `ca` (PEM) is trusted instead of Node's own list when given;
   * `cert` and `key` (PEM) are a client certificate for brokers that ask for one.
   */
  tls?: { ca?: string; cert?: string; key?: string };
  sasl?: { mechanism: SaslMechanism; username: string; password: string };
}

/** Where the claims topic lives; every role that talks to Kafka gets this slice of the config. */
export interface KafkaTarget {
  brokers: string[];
  topic: string;
  /** None for a plaintext broker without authentication. */
  security?: KafkaSecurity;
}

/** The connection part of a Kafka client's options: the brokers, TLS and SASL. */
export function kafkaConnectionOptions({ brokers, security = {} }: Pick<KafkaTarget, 'brokers' | 'security'>) {
  const { tls, sasl } = security;
  // Brokers behind one address (managed Kafka's proxies) pick their certificate by SNI, which Node
  // sends only when asked; an IP address cannot be a server name, so a cluster named by IPs goes without.
  const isNamedByHost = brokers.every((broker) => isIP(broker.slice(0, broker.lastIndexOf(':'))) === 0);
  return {
    bootstrapBrokers: brokers,
    ...(tls && { tls, ...(isNamedByHost && { tlsServerName: true }) }),
    ...(sasl && { sasl }),
  };
}

/**
 * Options shared by every Kafka client. The library's own retries stay short: the relay and the worker
 * loop on failures with their own backoff, so an outage is survived at that level, not inside a request.
 */
export const kafkaClientOptions = (role: string, target: Pick<KafkaTarget, 'brokers' | 'security'>) => ({
  clientId: `firstcome-${role}`,
  retries: 3,
  retryDelay: 250,
  connectTimeout: 5000,
  requestTimeout: 30_000,
  ...kafkaConnectionOptions(target),
});

/** A name no other process uses, for a relay's stream consumer or a Kafka client id. */
export const uniqueInstanceName = (role: string) =>
  `${role}-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;

/** Every worker of a topic shares one consumer group, so a topic's partitions are split among them. */
export const workerGroupId = (topic: string) => `firstcome-worker.${topic}`;
