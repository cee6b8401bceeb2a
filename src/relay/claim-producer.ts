import { GenericError, ProduceAcks, Producer, stringSerializers } from '@platformatic/kafka';
import type { AdmittedClaim } from '../claim.ts';
import { AppError } from '../errors.ts';
import { encodeClaim } from '../kafka/claim-codec.ts';
import { kafkaClientOptions, type KafkaTarget } from '../kafka/kafka-options.ts';
import { readMaxMessageBytes } from '../kafka/max-message-bytes.ts';
import { chunkBytes, chunkClaimRecords, type ClaimRecord } from './claim-chunks.ts';

/** Just below Kafka's default message.max.bytes (1,048,588), for when the broker cannot be asked. */
const fallbackMaxMessageBytes = 1_048_576;
/** Room in a record batch for its header (61 bytes) and whatever the per-record estimate misses. */
const batchHeadroomBytes = 1024;

export interface ClaimProducerOptions {
  /**
   * The most bytes of claims one produce request carries, as claim-chunks.ts counts them.
   * @defaultValue the topic's max.message.bytes (else the brokers' message.max.bytes, else 1 MiB) less
   * 1 KiB of headroom, read on the first publish
   */
  maxRequestBytes?: number;
}

const newProducer = (target: KafkaTarget) =>
  new Producer({
    ...kafkaClientOptions('relay', target),
    serializers: stringSerializers,
    idempotent: true,
    acks: ProduceAcks.ALL,
  });

/** The broker refused a record batch as larger than the topic takes (max.message.bytes, or its segment size). */
const isTooLarge = (error: unknown): boolean => {
  if (!(error instanceof Error) || !GenericError.isGenericError(error)) return false;
  const kafkaError: { findBy(property: string, value: unknown): unknown } = error;
  return ['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE'].some((apiId) => kafkaError.findBy('apiId', apiId) !== null);
};

type OutgoingRecord = ClaimRecord & { topic: string; claim: AdmittedClaim };

/**
 * Publishes admitted claims to the claims topic: an idempotent producer with acks=all, so a send that
 * resolved is on every in-sync replica. Sends must not overlap: the client numbers each partition's
 * batches when it builds a request and advances the numbers only on success, so two sends in flight
 * would reuse a sequence number and the broker could drop one as a duplicate. After a failed send the
 * producer is replaced: its sequence numbers may be stale (a partition written, another refused), and a
 * fresh producer id starts them over. Resending under a new id may duplicate a claim in Kafka; the
 * worker's insert is idempotent, so that costs nothing.
 *
 * The client puts all of a send's claims for a partition in one record batch, and the broker refuses a
 * batch over the topic's max.message.bytes (MESSAGE_TOO_LARGE) however often it is sent. So a publish is
 * cut into requests of at most `maxRequestBytes` of claims, sent one after another; the partition is the
 * client's choice, so the bound holds for the whole request, which bounds every partition's batch.
 */
export function createClaimProducer(target: KafkaTarget, options: ClaimProducerOptions = {}) {
  const { topic } = target;
  let producer = newProducer(target);
  let sending: Promise<void> | undefined;
  let maxRequestBytes = options.maxRequestBytes;

  async function readMaxRequestBytes(): Promise<number> {
    if (maxRequestBytes === undefined) {
      const maxMessageBytes = await readMaxMessageBytes(target).catch(() => undefined);
      maxRequestBytes = (maxMessageBytes ?? fallbackMaxMessageBytes) - batchHeadroomBytes;
    }
    return maxRequestBytes;
  }

  async function replaceProducer(): Promise<void> {
    const failed = producer;
    producer = newProducer(target);
    await failed.close().catch(() => undefined);
  }

  async function send(claims: AdmittedClaim[]): Promise<void> {
    const records: OutgoingRecord[] = claims.map((claim) => ({ topic, claim, ...encodeClaim(claim) }));
    let chunks = chunkClaimRecords(records, await readMaxRequestBytes());
    let acknowledged = 0;
    for (let chunk = chunks.shift(); chunk !== undefined; chunk = chunks.shift()) {
      try {
        await producer.send({ messages: chunk.map(({ topic, key, value }) => ({ topic, key, value })) });
        acknowledged += chunk.length;
      } catch (error) {
        await replaceProducer();
        if (!isTooLarge(error)) {
          throw new AppError(
            'KAFKA_PUBLISH_FAILED',
            `publishing ${claims.length} claims to ${topic} failed after ${acknowledged} were acknowledged: ${describe(error)}`,
            { cause: error, retryable: true },
          );
        }
        const bytes = chunkBytes(chunk);
        const [only] = chunk;
        if (only && chunk.length === 1) {
          throw new AppError(
            'KAFKA_PUBLISH_FAILED',
            `claim ${only.claim.claimId} alone (about ${bytes} bytes) is more than ${topic} takes in a record batch; ` +
              `check the topic's max.message.bytes and the brokers' message.max.bytes`,
            { cause: error },
          );
        }
        // The broker takes less than we were told (its limit was lowered, or could not be read): halve the
        // refused request, and keep the lower bound for the requests after it. A chunk of several claims
        // is within the bound, so the bound shrinks on every refusal until a claim is alone.
        maxRequestBytes = Math.floor(bytes / 2);
        chunks = chunkClaimRecords([...chunk, ...chunks.flat()], maxRequestBytes);
      }
    }
  }

  return {
    /**
     * Resolves once Kafka acknowledged every claim; rejects with a retryable KAFKA_PUBLISH_FAILED, or a
     * non-retryable one when a single claim is more than the topic takes.
     */
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

/** The error's message with those of the errors it gathers (the broker's own reasons), nested in brackets. */
const describe = (error: unknown): string => {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return `${error.message} (${error.errors.map(describe).join('; ')})`;
  }
  return error instanceof Error ? error.message : String(error);
};
