import { Admin, ListOffsetTimestamps } from '@platformatic/kafka';
import { kafkaConnectionOptions, type KafkaTarget } from './kafka-options.ts';
import { describeKafkaRefusal } from './kafka-refusal.ts';

export interface KafkaLagOptions extends KafkaTarget {
  /** The workers' consumer group, whose committed offsets tell how far they got. */
  groupId: string;
  /** How long one reading is reused, so any number of dashboards cost one query a second. @defaultValue 900 */
  maxAgeMs?: number;
}

export type KafkaLagReading = { lag: number } | { lag: null; reason: string };

/**
 * The workers' consumer lag (messages on the claims topic not yet committed by their group), read
 * from Kafka itself: the workers may run in other processes or machines, but their group's committed
 * offsets are in the broker for anyone to read. Connects on first use.
 */
export function createKafkaLag({ brokers, topic, security, groupId, maxAgeMs = 900 }: KafkaLagOptions) {
  let admin: Admin | undefined;
  let last: { atMs: number; isRunning: boolean; reading: Promise<KafkaLagReading> } | undefined;

  async function query(client: Admin): Promise<number> {
    const metadata = await client.metadata({ topics: [topic] });
    const partitionCount = metadata.topics.get(topic)?.partitionsCount ?? 0;
    const partitions = (timestamp: bigint) =>
      Array.from({ length: partitionCount }, (_, partitionIndex) => ({ partitionIndex, timestamp }));
    const offsetsAt = async (timestamp: bigint) => {
      const [listed] = await client.listOffsets({ topics: [{ name: topic, partitions: partitions(timestamp) }] });
      return new Map((listed?.partitions ?? []).map((p) => [p.partitionIndex, p.offset]));
    };
    const [latest, earliest, groups] = await Promise.all([
      offsetsAt(ListOffsetTimestamps.LATEST),
      offsetsAt(ListOffsetTimestamps.EARLIEST),
      client.listConsumerGroupOffsets({ groups: [groupId] }),
    ]);
    const committed = new Map(
      (groups[0]?.topics.find((t) => t.name === topic)?.partitions ?? []).map((p) => [
        p.partitionIndex,
        p.committedOffset,
      ]),
    );
    let lag = 0n;
    for (const [partition, end] of latest) {
      // A partition the group never committed on is behind by everything the broker still holds.
      const from = committed.get(partition) ?? -1n;
      const start = from >= 0n ? from : (earliest.get(partition) ?? 0n);
      if (end > start) lag += end - start;
    }
    return Number(lag);
  }

  async function read(): Promise<KafkaLagReading> {
    admin ??= new Admin({
      clientId: 'firstcome-dashboard',
      ...kafkaConnectionOptions({ brokers, security }),
      timeout: 2000,
      retries: 0,
    });
    try {
      return { lag: await query(admin) };
    } catch (error) {
      const reason =
        describeKafkaRefusal(error, { brokers, security }) ??
        `Kafka did not answer: ${error instanceof Error ? error.message : String(error)}`;
      return { lag: null, reason };
    }
  }

  return {
    /** What it reads the lag of, for labels. */
    topic,
    groupId,
    read(): Promise<KafkaLagReading> {
      // A query still running (a slow broker) is shared too, so they never pile up.
      if (last && (last.isRunning || Date.now() - last.atMs <= maxAgeMs)) return last.reading;
      const current = { atMs: Date.now(), isRunning: true, reading: read() };
      void current.reading.finally(() => (current.isRunning = false));
      last = current;
      return current.reading;
    },
    async close(): Promise<void> {
      await admin?.close().catch(() => undefined);
      admin = undefined;
    },
  };
}

export type KafkaLag = ReturnType<typeof createKafkaLag>;
