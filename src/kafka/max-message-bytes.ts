import { Admin, ConfigResourceTypes } from '@platformatic/kafka';
import { kafkaClientOptions, type KafkaTarget } from './kafka-options.ts';

type ConfigDescriptions = Awaited<ReturnType<Admin['describeConfigs']>>;

/** The smallest positive integer value of config `name` in `descriptions`; undefined when none has one. */
function smallestValue(descriptions: ConfigDescriptions, name: string): number | undefined {
  const values = descriptions
    .flatMap((d) => d.configs)
    .filter((c) => c.name === name)
    .map((c) => Number(c.value))
    .filter((n) => Number.isSafeInteger(n) && n > 0);
  return values.length > 0 ? Math.min(...values) : undefined;
}

/**
 * The most bytes the broker takes in one record batch of the topic: the topic's `max.message.bytes`
 * (which shows the brokers' `message.max.bytes` unless the topic overrides it), else, when the topic
 * cannot be described (not created yet), the smallest `message.max.bytes` of the brokers. Undefined when
 * Kafka answers without either; rejects when Kafka cannot be asked.
 */
export async function readMaxMessageBytes(target: KafkaTarget): Promise<number | undefined> {
  const admin = new Admin(kafkaClientOptions('admin', target));
  try {
    const ofTopic = await admin
      .describeConfigs({
        resources: [
          {
            resourceType: ConfigResourceTypes.TOPIC,
            resourceName: target.topic,
            configurationKeys: ['max.message.bytes'],
          },
        ],
      })
      .catch(() => []);
    const topicLimit = smallestValue(ofTopic, 'max.message.bytes');
    if (topicLimit !== undefined) return topicLimit;
    const { brokers } = await admin.metadata({ topics: [] });
    const ofBrokers = await admin.describeConfigs({
      resources: [...brokers.keys()].map((id) => ({
        resourceType: ConfigResourceTypes.BROKER,
        resourceName: String(id),
        configurationKeys: ['message.max.bytes'],
      })),
    });
    return smallestValue(ofBrokers, 'message.max.bytes');
  } finally {
    await admin.close().catch(() => undefined);
  }
}
