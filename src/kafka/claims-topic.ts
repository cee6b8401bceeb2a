import { Admin } from '@platformatic/kafka';
import { retryUntil } from '../runtime/run-loop.ts';
import { kafkaClientOptions, type KafkaTarget } from './kafka-options.ts';

const isTopicTaken = (error: unknown) =>
  typeof (error as { findBy?: unknown }).findBy === 'function' &&
  (error as { findBy: (key: string, value: unknown) => unknown }).findBy('apiId', 'TOPIC_ALREADY_EXISTS') !== null;

/**
 * Creates the claims topic with `partitions` partitions unless it exists. Partitions bound how many
 * workers share the load, so create them generously up front; an existing topic is left as it is.
 */
export async function ensureClaimsTopic(target: KafkaTarget, partitions: number): Promise<'created' | 'exists'> {
  const admin = new Admin({ ...kafkaClientOptions('admin'), bootstrapBrokers: target.brokers });
  try {
    const metadata = await admin.metadata({ topics: [target.topic] }).catch(() => undefined);
    if (metadata?.topics.has(target.topic)) return 'exists';
    await admin.createTopics({ topics: [target.topic], partitions, replicas: -1 });
    return 'created';
  } catch (error) {
    // Another relay or worker created it between our look-up and our create.
    if (isTopicTaken(error)) return 'exists';
    throw error;
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/**
 * Keeps trying `ensureClaimsTopic` until Kafka answers, so a role started before its broker waits
 * instead of dying. Returns false when `signal` aborted first.
 */
export async function waitForClaimsTopic(
  target: KafkaTarget,
  partitions: number,
  { signal, onFailureStreak }: { signal: AbortSignal; onFailureStreak: (error: unknown) => void },
): Promise<boolean> {
  if (signal.aborted) return false;
  const result = await retryUntil(() => ensureClaimsTopic(target, partitions), {
    signal,
    backoffMs: (failures) => Math.min(500 * 2 ** failures, 5000),
    onFailureStreak,
  });
  return result.isDone;
}
