import { Admin } from '@platformatic/kafka';
import { readClaimIds as readTopicClaimIds } from '../../test/fixtures/claims-on-topic.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { randomId } from '../../test/fixtures/basics.ts';
import { useKafkaTopics } from '../../test/fixtures/datastores.ts';
import type { AdmittedClaim } from '../claim.ts';
import { isAppError } from '../errors.ts';
import { createClaimProducer } from './claim-producer.ts';

const brokers = ['127.0.0.1:9092'];

const claimsOf = (count: number): AdmittedClaim[] =>
  Array.from({ length: count }, (_, i) => ({
    claimId: randomId('c'),
    eventId: 'ev_producer',
    userId: `u${i}`,
    seq: i + 1,
    slot: 1,
    admittedAtMs: Date.now(),
  }));

describe('createClaimProducer', () => {
  const topics = useKafkaTopics(brokers);
  const admin = new Admin({ clientId: 'claim-producer-test', bootstrapBrokers: brokers });
  const groupIds: string[] = [];
  afterAll(async () => {
    if (groupIds.length > 0) await admin.deleteGroups({ groups: groupIds }).catch(() => undefined);
    await admin.close();
  });

  /** A one-partition topic whose broker takes record batches of at most `maxMessageBytes`. */
  async function aTopic(maxMessageBytes: number): Promise<string> {
    const topic = topics.topic();
    await admin.createTopics({
      topics: [topic],
      partitions: 1,
      replicas: -1,
      configs: [{ name: 'max.message.bytes', value: String(maxMessageBytes) }],
    });
    return topic;
  }

  const readClaimIds = (topic: string) => readTopicClaimIds({ admin, brokers, groupIds }, topic);

  it('halves a request the broker refuses as too large until every claim is acknowledged', async () => {
    const topic = await aTopic(16_384);
    // Told a bound far above the topic's: only the broker's MESSAGE_TOO_LARGE can make it split.
    const producer = createClaimProducer({ brokers, topic }, { maxRequestBytes: 1_000_000 });
    const claims = claimsOf(1000);
    try {
      await producer.publishClaims(claims);
    } finally {
      await producer.close();
    }
    const published = await readClaimIds(topic);
    expect([...new Set(published)].sort()).toEqual(claims.map((c) => c.claimId).sort());
  });

  it('publishes every claim onto a topic whose max.message.bytes is far below the default', async () => {
    const topic = await aTopic(16_384);
    const producer = createClaimProducer({ brokers, topic });
    const claims = claimsOf(1000);
    try {
      await producer.publishClaims(claims);
    } finally {
      await producer.close();
    }
    const published = await readClaimIds(topic);
    expect([...new Set(published)].sort()).toEqual(claims.map((c) => c.claimId).sort());
  });

  it('rejects, without retrying, a claim that is more than the topic takes on its own', async () => {
    const topic = await aTopic(100);
    const producer = createClaimProducer({ brokers, topic });
    const [claim] = claimsOf(1);
    try {
      const error: unknown = await producer.publishClaims([claim!]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isAppError(error, 'KAFKA_PUBLISH_FAILED')).toBe(true);
      expect(error).toMatchObject({
        retryable: false,
        message: expect.stringContaining(`claim ${claim!.claimId} alone`),
      });
    } finally {
      await producer.close();
    }
    expect(await readClaimIds(topic)).toEqual([]);
  });
});
