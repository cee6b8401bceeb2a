import { Admin, Producer, stringSerializers } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, randomId } from '../../test/fixtures/basics.ts';
import { useKafkaTopics } from '../../test/fixtures/datastores.ts';
import { createKafkaLag } from './lag.ts';

const brokers = ['127.0.0.1:9092'];

describe("the workers' Kafka consumer lag, read from the broker", () => {
  const topics = useKafkaTopics(brokers);
  const admin = new Admin({ clientId: 'firstcome-test', bootstrapBrokers: brokers });
  const groupId = randomId('firstcome-test-group');
  let topic: string;

  beforeAll(async () => {
    topic = topics.topic();
    await admin.createTopics({ topics: [topic], partitions: 2, replicas: -1 });
    const producer = new Producer({
      clientId: 'firstcome-test',
      bootstrapBrokers: brokers,
      serializers: stringSerializers,
    });
    try {
      await producer.send({
        messages: Array.from({ length: 10 }, (_, i) => ({
          topic,
          key: `user-${i}`,
          value: `claim-${i}`,
          partition: i % 2,
        })),
      });
    } finally {
      await producer.close();
    }
  });
  afterAll(async () => {
    await admin.deleteGroups({ groups: [groupId] }).catch(() => undefined);
    await admin.close();
  });

  /** What the broker holds per partition, asked independently of the code under test. */
  async function endOffsets(): Promise<[bigint, bigint]> {
    const [listed] = await admin.listOffsets({
      topics: [{ name: topic, partitions: [0, 1].map((partitionIndex) => ({ partitionIndex, timestamp: -1n })) }],
    });
    const offsetOf = (partition: number) =>
      listed?.partitions.find((p) => p.partitionIndex === partition)?.offset ?? 0n;
    return [offsetOf(0), offsetOf(1)];
  }

  it('counts every message when the group has committed nothing, and what is left after its commits', async () => {
    const lag = createKafkaLag({ brokers, topic, groupId, maxAgeMs: 0 });
    try {
      // At least the 10 messages sent; a send retried under load may have written some twice.
      const [end0, end1] = await endOffsets();
      expect(end0 + end1).toBeGreaterThanOrEqual(10n);
      expect(await lag.read()).toEqual({ lag: Number(end0 + end1) });
      await admin.alterConsumerGroupOffsets({
        groupId,
        topics: [
          {
            name: topic,
            partitionOffsets: [
              { partition: 0, offset: end0 - 1n },
              { partition: 1, offset: end1 - 2n },
            ],
          },
        ],
      });
      expect(await lag.read()).toEqual({ lag: 3 });
    } finally {
      await lag.close();
    }
  });

  it('says why there is no figure when Kafka does not answer', async () => {
    const lag = createKafkaLag({ brokers: [`127.0.0.1:${await freePort()}`], topic, groupId });
    try {
      expect(await lag.read()).toEqual({ lag: null, reason: expect.stringMatching(/^Kafka did not answer: /) });
    } finally {
      await lag.close();
    }
  });
});
