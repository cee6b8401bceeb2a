import { Admin, ConfigResourceTypes } from '@platformatic/kafka';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test/fixtures/basics.ts';
import { useKafkaTopics } from '../../test/fixtures/datastores.ts';
import { readMaxMessageBytes } from './max-message-bytes.ts';

const brokers = ['127.0.0.1:9092'];

describe('readMaxMessageBytes', () => {
  const topics = useKafkaTopics(brokers);
  const admin = new Admin({ clientId: 'max-message-bytes-test', bootstrapBrokers: brokers });
  afterAll(() => admin.close());

  /** The smallest message.max.bytes of the brokers, asked independently of the code under test. */
  async function brokersLimit(): Promise<number> {
    const { brokers: known } = await admin.metadata({ topics: [] });
    const described = await admin.describeConfigs({
      resources: [...known.keys()].map((id) => ({
        resourceType: ConfigResourceTypes.BROKER,
        resourceName: String(id),
      })),
    });
    return Math.min(
      ...described.flatMap((d) => d.configs.filter((c) => c.name === 'message.max.bytes').map((c) => Number(c.value))),
    );
  }

  it("reads a topic's own max.message.bytes", async () => {
    const topic = topics.topic();
    await admin.createTopics({
      topics: [topic],
      partitions: 1,
      replicas: -1,
      configs: [{ name: 'max.message.bytes', value: '16384' }],
    });
    expect(await readMaxMessageBytes({ brokers, topic })).toBe(16_384);
  });

  it("reads the brokers' message.max.bytes for a topic without its own, or not created yet", async () => {
    const topic = topics.topic();
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: -1 });
    const expected = await brokersLimit();
    expect(await readMaxMessageBytes({ brokers, topic })).toBe(expected);
    expect(await readMaxMessageBytes({ brokers, topic: topics.topic() })).toBe(expected);
  });

  it('rejects when Kafka does not answer', async () => {
    await expect(
      readMaxMessageBytes({ brokers: [`127.0.0.1:${await freePort()}`], topic: 'firstcome.unreachable' }),
    ).rejects.toThrow();
  });
});
