import { Producer, stringSerializers } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGate } from '../src/gate/open-gate.ts';
import { ensureClaimsTopic } from '../src/kafka/claims-topic.ts';
import { claimAll, createEventVia, expectPromisesHold, waitForCoupons, type ClaimAnswer } from './fixtures/promises.ts';
import { createPrivateKafka } from './fixtures/datastores.ts';
import { randomId, waitFor } from './fixtures/basics.ts';
import { usePipeline } from './fixtures/pipeline.ts';
import { startTcpProxy } from './fixtures/processes.ts';

const users = (count: number, offset = 0) => Array.from({ length: count }, (_, i) => `user-${offset + i}`);
const admittedOf = (answers: ClaimAnswer[]) => answers.filter((a) => a.status === 202);

describe('when the worker is SIGKILLed mid-drop', () => {
  // A throttled worker with small batches keeps the drop landing long enough to kill it halfway.
  const p = usePipeline(() => ({ WORKER_BATCH_SIZE: '100', DB_MAX_WRITES_PER_SEC: '1000' }));

  it('a restarted worker issues every admitted claim exactly once', async () => {
    p.processes.dumpOnFailure();
    const eventId = randomId('ev');
    await createEventVia(p.api, { id: eventId, name: 'worker kill', stock: 3000 });
    p.spawn('relay');
    const worker = p.spawn('worker');
    const admitted = admittedOf(await claimAll([p.api], eventId, users(4000)));
    expect(admitted).toHaveLength(3000);
    await waitFor('the first coupons', async () => (await p.t.store.countCoupons(eventId)) >= 300);
    await worker.kill('SIGKILL');
    expect(await p.t.store.countCoupons(eventId)).toBeLessThan(3000);
    p.spawn('worker');
    await waitForCoupons(p.t.store, eventId, 3000);
    await expectPromisesHold(p.t.probe, eventId, { stock: 3000, perUserLimit: 1, admitted });
  });
});

describe('when the relay is SIGKILLed mid-drop', () => {
  // One entry per Kafka send keeps the outbox draining long enough to kill the relay halfway.
  const p = usePipeline(() => ({ RELAY_BATCH_SIZE: '1', RELAY_CLAIM_IDLE_MS: '1000' }));

  it('a restarted relay sends what the dead one left, and every admitted claim is issued exactly once', async () => {
    p.processes.dumpOnFailure();
    const eventId = randomId('ev');
    await createEventVia(p.api, { id: eventId, name: 'relay kill', stock: 2000 });
    p.spawn('worker');
    const admitted = admittedOf(await claimAll([p.api], eventId, users(2500)));
    expect(admitted).toHaveLength(2000);
    const gate = await openGate({ url: p.redisUrl() }, () => undefined);
    const outboxLength = async () => (await gate.readOutboxFigures(eventId)).length;
    try {
      const relay = p.spawn('relay');
      await waitFor('the relay halfway through the outbox', async () => (await outboxLength()) <= 1500);
      await relay.kill('SIGKILL');
      expect(await outboxLength()).toBeGreaterThan(0);
      p.spawn('relay');
      await waitForCoupons(p.t.store, eventId, 2000);
      await expectPromisesHold(p.t.probe, eventId, { stock: 2000, perUserLimit: 1, admitted });
      await waitFor('an empty outbox with nothing pending', async () => {
        const { length, pending } = await gate.readOutboxFigures(eventId);
        return length === 0 && pending === 0;
      });
    } finally {
      await gate.close();
    }
  });
});

describe('when the Kafka broker stops during a drop', () => {
  let kafka: Awaited<ReturnType<typeof createPrivateKafka>> | undefined;
  beforeAll(async () => {
    kafka = await createPrivateKafka();
    await kafka.start();
  }, 180_000);
  const p = usePipeline(() => ({ KAFKA_BROKERS: kafka!.brokers }));
  afterAll(async () => {
    await kafka?.destroy();
  }, 120_000);

  it('claims admitted while it is down are issued once it is back, each exactly once', async () => {
    p.processes.dumpOnFailure();
    const eventId = randomId('ev');
    await createEventVia(p.api, { id: eventId, name: 'kafka outage', stock: 3000 });
    p.spawn('relay');
    p.spawn('worker');
    const before = admittedOf(await claimAll([p.api], eventId, users(1000)));
    await waitForCoupons(p.t.store, eventId, before.length);
    let during: ClaimAnswer[] = [];
    try {
      await kafka!.stop();
      during = admittedOf(await claimAll([p.api], eventId, users(1500, 1000)));
      expect(await p.t.store.countCoupons(eventId)).toBe(before.length);
    } finally {
      await kafka!.start();
    }
    const after = admittedOf(await claimAll([p.api], eventId, users(1000, 2500)));
    const admitted = [...before, ...during, ...after];
    expect([before.length, during.length, admitted.length]).toEqual([1000, 1500, 3000]);
    await waitForCoupons(p.t.store, eventId, admitted.length);
    await expectPromisesHold(p.t.probe, eventId, { stock: 3000, perUserLimit: 1, admitted });
  });
});

describe('when PostgreSQL is unreachable for a while', () => {
  let proxy: Awaited<ReturnType<typeof startTcpProxy>> | undefined;
  const p = usePipeline();
  beforeAll(async () => {
    proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
  });
  afterAll(async () => {
    await proxy?.cut();
  });

  it('the worker holds its batch, retries, and issues every admitted claim exactly once after', async () => {
    p.processes.dumpOnFailure();
    const eventId = randomId('ev');
    await createEventVia(p.api, { id: eventId, name: 'database outage', stock: 2000 });
    const viaProxy = new URL(p.env.DATABASE_URL!);
    viaProxy.port = String(proxy!.port);
    p.spawn('relay');
    const worker = p.spawn('worker', { DATABASE_URL: viaProxy.toString() });
    const before = admittedOf(await claimAll([p.api], eventId, users(500)));
    await waitForCoupons(p.t.store, eventId, before.length);
    let during: ClaimAnswer[] = [];
    try {
      await proxy!.cut();
      during = admittedOf(await claimAll([p.api], eventId, users(1000, 500)));
      await waitFor('the worker to meet the outage', () => worker.output().includes('database write failed'));
      expect(await p.t.store.countCoupons(eventId)).toBe(before.length);
    } finally {
      await proxy!.restore();
    }
    const after = admittedOf(await claimAll([p.api], eventId, users(1000, 1500)));
    const admitted = [...before, ...during, ...after];
    expect([before.length, during.length, admitted.length]).toEqual([500, 1000, 2000]);
    await waitForCoupons(p.t.store, eventId, admitted.length);
    await expectPromisesHold(p.t.probe, eventId, { stock: 2000, perUserLimit: 1, admitted });
    expect(worker.child.exitCode).toBeNull();
  });
});

describe('when a poison message is on the topic', () => {
  const p = usePipeline();

  it('records a poison claim as failed, skips one without a claim id, and blocks no partition', async () => {
    p.processes.dumpOnFailure();
    const producer = new Producer({
      clientId: 'firstcome-test',
      bootstrapBrokers: ['127.0.0.1:9092'],
      serializers: stringSerializers,
    });
    const topic = p.env.KAFKA_TOPIC!;
    try {
      // Before any worker runs, into every partition, so each partition's first message is poison.
      const poison = [0, 1, 2, 3].flatMap((partition) => [
        { topic, partition, key: 'mallory', value: '{not json' },
        { topic, partition, key: 'mallory', value: JSON.stringify({ claimId: `poison-${partition}`, eventId: 'x' }) },
      ]);
      await ensureClaimsTopic({ brokers: ['127.0.0.1:9092'], topic }, 4);
      await producer.send({ messages: poison });
    } finally {
      await producer.close();
    }
    const eventId = randomId('ev');
    await createEventVia(p.api, { id: eventId, name: 'after poison', stock: 500 });
    p.spawn('relay');
    const worker = p.spawn('worker');
    const admitted = admittedOf(await claimAll([p.api], eventId, users(600)));
    expect(admitted).toHaveLength(500);
    await waitForCoupons(p.t.store, eventId, 500);
    await expectPromisesHold(p.t.probe, eventId, { stock: 500, perUserLimit: 1, admitted });
    // The retry job beside the worker may have tried them again since: the rows stay, their reason may move on.
    const failed = (await p.t.probe.failedClaims({ claimIdPrefix: 'poison-' })).map(({ claim_id, user_id }) => ({
      claim_id,
      user_id,
    }));
    expect(failed).toEqual([0, 1, 2, 3].map((i) => ({ claim_id: `poison-${i}`, user_id: 'mallory' })));
    expect(worker.output().match(/poison message recorded as a failed claim/g)?.length).toBeGreaterThanOrEqual(4);
    expect(worker.output()).toContain('poison message that names no claim');
    expect(worker.child.exitCode).toBeNull();
  });
});
