import { Admin } from '@platformatic/kafka';
import { retryUntil } from '../runtime/run-loop.ts';
import { kafkaClientOptions, type KafkaTarget } from './kafka-options.ts';

const isTopicTaken = (error: unknown) =>
  typeof (error as { findBy?: unknown }).findBy === 'function' &&
  (error as { findBy: (key: string, value: unknown) => unknown }).findBy('apiId', 'TOPIC_ALREADY_EXISTS') !== null;

/** The claims topic as a role found it: made just now or there before, and its partitions. */
export interface ClaimsTopic {
  isCreated: boolean;
  partitions: number;
}

/**
 * Creates the claims topic with `partitions` partitions unless it exists. Partitions bound how many
 * workers share the load, so create them generously up front; an existing topic is left as it is.
 */
export async function ensureClaimsTopic(target: KafkaTarget, partitions: number): Promise<ClaimsTopic> {
  const admin = new Admin({ ...kafkaClientOptions('admin'), bootstrapBrokers: target.brokers });
  const existing = async (): Promise<ClaimsTopic> => {
    const metadata = await admin.metadata({ topics: [target.topic] });
    return { isCreated: false, partitions: metadata.topics.get(target.topic)?.partitionsCount ?? partitions };
  };
  try {
    const metadata = await admin.metadata({ topics: [target.topic] }).catch(() => undefined);
    const topic = metadata?.topics.get(target.topic);
    if (topic) return { isCreated: false, partitions: topic.partitionsCount };
    await admin.createTopics({ topics: [target.topic], partitions, replicas: -1 });
    return { isCreated: true, partitions };
  } catch (error) {
    // Another relay or worker created it between our look-up and our create.
    if (isTopicTaken(error)) return existing();
    throw error;
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/**
 * Keeps trying `ensureClaimsTopic` until Kafka answers, so a role started before its broker waits
 * instead of dying. Returns nothing when `signal` aborted first.
 */
export async function waitForClaimsTopic(
  target: KafkaTarget,
  partitions: number,
  { signal, onFailureStreak }: { signal: AbortSignal; onFailureStreak: (error: unknown) => void },
): Promise<ClaimsTopic | undefined> {
  if (signal.aborted) return undefined;
  const result = await retryUntil(() => ensureClaimsTopic(target, partitions), {
    signal,
    backoffMs: (failures) => Math.min(500 * 2 ** failures, 5000),
    onFailureStreak,
  });
  return result.isDone ? result.value : undefined;
}
