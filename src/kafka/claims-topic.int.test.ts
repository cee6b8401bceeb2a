import { Admin, ConfigResourceTypes } from '@platformatic/kafka';
import { afterAll, describe, expect, it } from 'vitest';
import { useKafkaTopics } from '../../test/fixtures/datastores.ts';
import { isAppError } from '../errors.ts';
import { ensureClaimsTopic, waitForClaimsTopic } from './claims-topic.ts';

const brokers = ['127.0.0.1:9092'];

describe('the claims topic', () => {
  const topics = useKafkaTopics(brokers);
  const admin = new Admin({ clientId: 'claims-topic-test', bootstrapBrokers: brokers });
  afterAll(() => admin.close());

  const minInsyncOf = async (topic: string) => {
    const [described] = await admin.describeConfigs({
      resources: [
        { resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configurationKeys: ['min.insync.replicas'] },
      ],
    });
    return described?.configs.find((c) => c.name === 'min.insync.replicas')?.value;
  };

  it('is created with the replication asked for and says how many replicas it has; a second call finds it', async () => {
    const topic = topics.topic();
    const made = await ensureClaimsTopic({ brokers, topic }, 3, { replicationFactor: 1 });
    expect(made).toEqual({ isCreated: true, partitions: 3, replicas: 1 });
    expect(await minInsyncOf(topic)).toBe('1');
    await expect(ensureClaimsTopic({ brokers, topic }, 8)).resolves.toEqual({
      isCreated: false,
      partitions: 3,
      replicas: 1,
    });
  });

  it('stops waiting, naming KAFKA_REPLICATION_FACTOR, when it asks for more replicas than there are brokers', async () => {
    const topic = topics.topic();
    const failure = await waitForClaimsTopic({ brokers, topic }, 1, {
      signal: AbortSignal.timeout(60_000),
      onFailureStreak: () => undefined,
      replication: { replicationFactor: 2 },
    }).catch((error: unknown) => error);
    expect(isAppError(failure, 'KAFKA_REFUSED')).toBe(true);
    expect((failure as Error).message).toContain('Lower KAFKA_REPLICATION_FACTOR');
  });
});
