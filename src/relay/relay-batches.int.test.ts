import { Admin } from '@platformatic/kafka';
import { readClaimIds as readTopicClaimIds } from '../../test/fixtures/claims-on-topic.ts';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventDefinition } from '../../test/fixtures/tickets.ts';
import { randomId, waitFor } from '../../test/fixtures/basics.ts';
import { startPrivateRedis, useKafkaTopics } from '../../test/fixtures/datastores.ts';
import { type GateHandle, openGate } from '../gate/open-gate.ts';
import { ensureClaimsTopic } from '../kafka/claims-topic.ts';
import { createMetrics } from '../metrics.ts';
import { createClaimProducer } from './claim-producer.ts';
import { createRelay } from './relay.ts';

const brokers = ['127.0.0.1:9092'];

describe('relay with batches larger than the broker takes in one request', () => {
  const topics = useKafkaTopics(brokers);
  const admin = new Admin({ clientId: 'relay-batches-test', bootstrapBrokers: brokers });
  const groupIds: string[] = [];
  let privateRedis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let gate: GateHandle;

  beforeAll(async () => {
    // Its own Redis: a relay drains every active event, and the shared one holds other engineers' events.
    privateRedis = await startPrivateRedis();
    gate = await openGate({ url: privateRedis.url }, () => undefined);
  });
  afterAll(async () => {
    if (groupIds.length > 0) await admin.deleteGroups({ groups: groupIds }).catch(() => undefined);
    await admin.close();
    await gate?.close();
    await privateRedis?.stop();
  });

  const readClaimIds = (topic: string) => readTopicClaimIds({ admin, brokers, groupIds }, topic);

  it('drains 10,000 claims of one event onto a one-partition topic with a batch size of 50,000', async () => {
    const topic = topics.topic();
    await ensureClaimsTopic({ brokers, topic }, 1);
    const eventId = randomId('ev');
    const count = 10_000;
    await gate.loadEvent(eventDefinition(eventId, { stock: count }));
    const claimIds = Array.from({ length: count }, () => randomId('c'));
    for (let from = 0; from < count; from += 1000) {
      const admissions = await Promise.all(
        claimIds
          .slice(from, from + 1000)
          .map((claimId, i) => gate.admitClaim({ eventId, userId: `u${from + i}`, claimId })),
      );
      expect(admissions.every((a) => a.kind === 'ADMITTED')).toBe(true);
    }
    expect((await gate.readOutboxFigures(eventId)).length).toBe(count);

    // What the relay warns about, to tell why the outbox did not empty.
    const warnings: string[] = [];
    const log = pino(
      { level: 'warn' },
      {
        write: (line: string) => {
          const { msg, err } = JSON.parse(line) as { msg: string; err?: { message: string } };
          warnings.push(err ? `${msg}: ${err.message}` : msg);
        },
      },
    );
    const reader = gate.createOutboxConsumer({
      consumerName: randomId('relay'),
      batchSize: 50_000,
      claimIdleMs: 30_000,
    });
    const producer = createClaimProducer({ brokers, topic });
    const relay = createRelay({ reader, producer, log, metrics: createMetrics() }, { batchSize: 50_000 });
    void relay.run();
    try {
      await waitFor('an empty outbox', async () => {
        const { length } = await gate.readOutboxFigures(eventId);
        if (length === 0) return true;
        throw new Error(`${length} claims still in the outbox; the relay's last warning: ${warnings.at(-1) ?? 'none'}`);
      });
    } finally {
      await relay.stop();
      await producer.close();
    }

    const published = await readClaimIds(topic);
    // A send Kafka took but did not acknowledge in time is sent again: duplicates are allowed, gaps are not.
    expect([...new Set(published)].sort()).toEqual([...claimIds].sort());
    expect(await gate.readOutboxFigures(eventId)).toEqual({ length: 0, backlog: 0, pending: 0 });
  });
});
