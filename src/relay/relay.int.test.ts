import { Consumer, stringDeserializers } from '@platformatic/kafka';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, randomId, waitFor } from '../../test/fixtures/basics.ts';
import { startPrivateRedis, useKafkaTopics } from '../../test/fixtures/datastores.ts';
import type { AdmittedClaim } from '../claim.ts';
import { type GateHandle, openGate } from '../gate/open-gate.ts';
import { ensureClaimsTopic } from '../kafka/claims-topic.ts';
import { decodeClaim } from '../kafka/claim-codec.ts';
import { createMetrics } from '../metrics.ts';
import { createClaimProducer } from './claim-producer.ts';
import { createRelay } from './relay.ts';

const brokers = ['127.0.0.1:9092'];
const log = pino({ level: 'silent' });

/** Reads `count` claims from the start of `topic`; returns them with their Kafka keys. */
async function readTopic(topic: string, count: number): Promise<Array<{ key: string; claim: AdmittedClaim }>> {
  const consumer = new Consumer({
    clientId: 'relay-test',
    groupId: randomId('relay-test'),
    bootstrapBrokers: brokers,
    deserializers: stringDeserializers,
  });
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
  const read: Array<{ key: string; claim: AdmittedClaim }> = [];
  try {
    for await (const message of stream) {
      const decoded = decodeClaim(message.value);
      if (decoded.kind === 'claim') read.push({ key: message.key, claim: decoded.claim });
      if (read.length >= count) break;
    }
  } finally {
    await stream.close();
    await new Promise<void>((resolve) => consumer.close(true, () => resolve()));
  }
  return read;
}

describe('relay', () => {
  const topics = useKafkaTopics();
  let privateRedis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let gate: GateHandle;

  beforeAll(async () => {
    // Its own Redis: a relay drains every active event, and the shared one holds other engineers' events.
    privateRedis = await startPrivateRedis();
    gate = await openGate({ url: privateRedis.url }, () => undefined);
  });
  afterAll(async () => {
    await gate?.close();
    await privateRedis?.stop();
  });

  /** An open event in the gate with `count` admitted claims waiting in its outbox. */
  async function admitClaims(count: number) {
    const eventId = randomId('ev');
    const event = {
      id: eventId,
      name: 'relay',
      stock: count,
      perUserLimit: 1,
      shards: 1,
      startsAt: null,
      endsAt: null,
    };
    await gate.loadEvent({ ...event, closedAt: null, createdAt: new Date(), queue: null });
    const claimIds = Array.from({ length: count }, () => randomId('c'));
    await Promise.all(claimIds.map((claimId, i) => gate.admitClaim({ eventId, userId: `u${i}`, claimId })));
    return { eventId, claimIds };
  }

  function aRelay(topic: string, { consumerName = randomId('relay'), claimIdleMs = 30_000, kafka = brokers } = {}) {
    const reader = gate.createOutboxConsumer({ consumerName, batchSize: 50, claimIdleMs });
    const producer = createClaimProducer({ brokers: kafka, topic });
    const relay = createRelay(
      { reader, producer, log, metrics: createMetrics() },
      { batchSize: 50, takeOverEveryMs: 100 },
    );
    void relay.run();
    return {
      reader,
      async stop() {
        await relay.stop();
        await producer.close();
      },
    };
  }

  it('publishes every admitted claim keyed by its user, then deletes it from the outbox', async () => {
    const topic = topics.topic();
    await ensureClaimsTopic({ brokers, topic }, 4);
    const { eventId, claimIds } = await admitClaims(120);
    const relay = aRelay(topic);
    try {
      await waitFor('an empty outbox', async () => (await gate.readOutboxFigures(eventId)).length === 0);
    } finally {
      await relay.stop();
    }
    const published = await readTopic(topic, 120);
    expect(published.map((p) => p.claim.claimId).sort()).toEqual([...claimIds].sort());
    for (const { key, claim } of published) {
      expect(claim).toMatchObject({ eventId, userId: key });
      expect(claim.seq).toBeGreaterThanOrEqual(1);
    }
    expect((await gate.readOutboxFigures(eventId)).pending).toBe(0);
  });

  it('promise 3: takes over and resends entries a relay read and died before acknowledging', async () => {
    const topic = topics.topic();
    await ensureClaimsTopic({ brokers, topic }, 4);
    const { eventId, claimIds } = await admitClaims(80);
    const dead = gate.createOutboxConsumer({ consumerName: 'dead-relay', batchSize: 1000, claimIdleMs: 30_000 });
    expect(await dead.readNew(eventId)).toHaveLength(80);
    expect((await gate.readOutboxFigures(eventId)).pending).toBe(80);
    const relay = aRelay(topic, { claimIdleMs: 200 });
    try {
      await waitFor('an empty outbox', async () => (await gate.readOutboxFigures(eventId)).length === 0);
    } finally {
      await relay.stop();
    }
    const published = await readTopic(topic, 80);
    expect(published.map((p) => p.claim.claimId).sort()).toEqual([...claimIds].sort());
    expect((await gate.readOutboxFigures(eventId)).pending).toBe(0);
  });

  it('promise 3: keeps entries in the outbox, pending, while Kafka does not acknowledge them', async () => {
    const { eventId } = await admitClaims(30);
    const relay = aRelay(topics.topic(), { kafka: [`127.0.0.1:${await freePort()}`] });
    try {
      await waitFor(
        'the relay to hold the entries',
        async () => (await gate.readOutboxFigures(eventId)).pending === 30,
      );
    } finally {
      await relay.stop();
    }
    expect((await gate.readOutboxFigures(eventId)).length).toBe(30);
  });
});
