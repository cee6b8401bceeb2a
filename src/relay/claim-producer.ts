import { ProduceAcks, Producer, stringSerializers } from '@platformatic/kafka';
import type { AdmittedClaim } from '../claim.ts';
import { AppError } from '../errors.ts';
import { encodeClaim } from '../kafka/claim-codec.ts';
import { kafkaClientOptions, type KafkaTarget } from '../kafka/kafka-options.ts';

const newProducer = (brokers: string[]) =>
  new Producer({
    ...kafkaClientOptions('relay'),
    bootstrapBrokers: brokers,
    serializers: stringSerializers,
    idempotent: true,
    acks: ProduceAcks.ALL,
  });

/**
 * Publishes admitted claims to the claims topic: an idempotent producer with acks=all, so a send that
 * resolved is on every in-sync replica. Sends must not overlap: the client numbers each partition's
 * batches when it builds a request and advances the numbers only on success, so two sends in flight
 * would reuse a sequence number and the broker could drop one as a duplicate. After a failed send the
 * producer is replaced: its sequence numbers may be stale (a partition written, another refused), and a
 * fresh producer id starts them over. Resending under a new id may duplicate a claim in Kafka; the
 * worker's insert is idempotent, so that costs nothing.
 */
export function createClaimProducer({ brokers, topic }: KafkaTarget) {
  let producer = newProducer(brokers);
  let sending: Promise<void> | undefined;

  async function send(claims: AdmittedClaim[]): Promise<void> {
    try {
      await producer.send({ messages: claims.map((claim) => ({ topic, ...encodeClaim(claim) })) });
    } catch (error) {
      const failed = producer;
      producer = newProducer(brokers);
      await failed.close().catch(() => undefined);
      throw new AppError(
        'KAFKA_PUBLISH_FAILED',
        `publishing ${claims.length} claims to ${topic} failed: ${describe(error)}`,
        {
          cause: error,
          retryable: true,
        },
      );
    }
  }

  return {
    /** Resolves once Kafka acknowledged every claim; rejects with a retryable KAFKA_PUBLISH_FAILED. */
    async publishClaims(claims: AdmittedClaim[]): Promise<void> {
      if (claims.length === 0) return;
      if (sending) throw new Error('publishClaims: a send is in flight already; sends must not overlap');
      sending = send(claims);
      try {
        await sending;
      } finally {
        sending = undefined;
      }
    },

    async close(): Promise<void> {
      await producer.close().catch(() => undefined);
    },
  };
}

export type ClaimProducer = ReturnType<typeof createClaimProducer>;

const describe = (error: unknown) => {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return `${error.message} (${error.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))).join('; ')})`;
  }
  return error instanceof Error ? error.message : String(error);
};
