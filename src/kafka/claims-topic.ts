import { Admin } from '@platformatic/kafka';
import { AppError } from '../errors.ts';
import { retryUntil } from '../runtime/run-loop.ts';
import { describeKafkaRefusal } from './kafka-refusal.ts';
import { kafkaClientOptions, type KafkaTarget } from './kafka-options.ts';

const isTopicTaken = (error: unknown) =>
  typeof (error as { findBy?: unknown }).findBy === 'function' &&
  (error as { findBy: (key: string, value: unknown) => unknown }).findBy('apiId', 'TOPIC_ALREADY_EXISTS') !== null;

/** The claims topic as a role found it: made just now or there before, its partitions and replicas. */
export interface ClaimsTopic {
  isCreated: boolean;
  partitions: number;
  /** The fewest replicas of any of its partitions; undefined when the brokers did not say yet. */
  replicas: number | undefined;
}

/** How a topic firstcome creates is replicated; unset fields are the brokers' defaults. */
export interface TopicReplication {
  replicationFactor?: number;
  /** Replicas that must hold a record before an acks=all send succeeds. */
  minInsyncReplicas?: number;
}

/**
 * min.insync.replicas for a topic of `replicationFactor` replicas: one fewer, so a send still succeeds
 * while one broker is down, but never 0 (a send that no replica but the leader holds).
 */
export const defaultMinInsyncReplicas = (replicationFactor: number) => Math.max(1, replicationFactor - 1);

/**
 * Creates the claims topic with `partitions` partitions unless it exists. Partitions bound how many
 * workers share the load, so create them generously up front; an existing topic is left as it is.
 */
export async function ensureClaimsTopic(
  target: KafkaTarget,
  partitions: number,
  { replicationFactor, minInsyncReplicas }: TopicReplication = {},
): Promise<ClaimsTopic> {
  const admin = new Admin(kafkaClientOptions('admin', target));
  const describe = async (isCreated: boolean): Promise<ClaimsTopic | undefined> => {
    const metadata = await admin.metadata({ topics: [target.topic] });
    const topic = metadata.topics.get(target.topic);
    if (!topic) return undefined;
    const replicaCounts = topic.partitions.map((p) => p.replicas.length).filter((count) => count > 0);
    const replicas = replicaCounts.length > 0 ? Math.min(...replicaCounts) : undefined;
    return { isCreated, partitions: topic.partitionsCount, replicas };
  };
  try {
    const existing = await describe(false).catch(() => undefined);
    if (existing) return existing;
    const minInsync = minInsyncReplicas ?? (replicationFactor && defaultMinInsyncReplicas(replicationFactor));
    await admin.createTopics({
      topics: [target.topic],
      partitions,
      replicas: replicationFactor ?? -1,
      configs: minInsync ? [{ name: 'min.insync.replicas', value: String(minInsync) }] : [],
    });
    const created = await describe(true).catch(() => undefined);
    return created ?? { isCreated: true, partitions, replicas: replicationFactor };
  } catch (error) {
    // Another relay or worker created it between our look-up and our create.
    if (isTopicTaken(error)) return (await describe(false)) ?? { isCreated: false, partitions, replicas: undefined };
    throw error;
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/**
 * Keeps trying `ensureClaimsTopic` until Kafka answers, so a role started before its broker waits
 * instead of dying. Returns nothing when `signal` aborted first; rejects (KAFKA_REFUSED) when Kafka
 * refuses this client for good (credentials, certificates), which no waiting mends.
 */
export async function waitForClaimsTopic(
  target: KafkaTarget,
  partitions: number,
  {
    signal,
    onFailureStreak,
    replication,
  }: { signal: AbortSignal; onFailureStreak: (error: unknown) => void; replication?: TopicReplication },
): Promise<ClaimsTopic | undefined> {
  if (signal.aborted) return undefined;
  const refused = new AbortController();
  let refusal: string | undefined;
  const result = await retryUntil(
    async () => {
      try {
        return await ensureClaimsTopic(target, partitions, replication);
      } catch (error) {
        refusal = describeKafkaRefusal(error, target);
        if (refusal) refused.abort();
        throw error;
      }
    },
    {
      signal: AbortSignal.any([signal, refused.signal]),
      backoffMs: (failures) => Math.min(500 * 2 ** failures, 5000),
      onFailureStreak: (error) => {
        if (!refusal) onFailureStreak(error);
      },
    },
  );
  if (refusal) throw new AppError('KAFKA_REFUSED', refusal, { cause: result.isDone ? undefined : result.error });
  return result.isDone ? result.value : undefined;
}
