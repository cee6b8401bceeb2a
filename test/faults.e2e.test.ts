import { Producer, stringSerializers } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGate } from '../src/gate/open-gate.ts';
import { ensureClaimsTopic } from '../src/kafka/claims-topic.ts';
import { claimAll, createEventVia, expectPromisesHold, waitForCoupons, type ClaimAnswer } from './fixtures/promises.ts';
import { createPrivateKafka } from './fixtures/datastores.ts';
import { randomId, waitFor } from './fixtures/basics.ts';
import { testedStoreKinds } from './fixtures/databases.ts';
import { usePipeline } from './fixtures/pipeline.ts';
import { spawnFirstcome, startTcpProxy } from './fixtures/processes.ts';

const users = (count: number, offset = 0) => Array.from({ length: count }, (_, i) => `user-${offset + i}`);
const admittedOf = (answers: ClaimAnswer[]) => answers.filter((a) => a.status === 202);

describe.each(testedStoreKinds())('promise 3: when the worker is SIGKILLed mid-drop (%s)', (store) => {
  // A throttled worker with small batches keeps the drop landing long enough to kill it halfway.
  const p = usePipeline(() => ({ WORKER_BATCH_SIZE: '100', DB_MAX_WRITES_PER_SEC: '1000' }), { store });

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

describe('promise 3: when the relay is SIGKILLed mid-drop', () => {
  // One entry per Kafka send keeps the outbox draining long enough to kill the relay halfway.
  const p = usePipeline(() => ({ RELAY_BATCH_SIZE: '1', RELAY_CLAIM_IDLE_MS: '1000' }));

  it('a restarted relay sends what the dead one left, and every admitted claim is issued exactly once', async () => {
    p.processes.dumpOnFailure();
    const eventId = randomId('ev');
    await createEventVia(p.api, { id: eventId, name: 'relay kill', stock: 2000 });
    p.spawn('worker');
    const admitted = admittedOf(await claimAll([p.api], eventId, users(2500)));
    expect(admitted).toHaveLength(2000);
    const gate = await openGate(p.redisOptions(), () => undefined);
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

describe('promise 3: when the Kafka broker stops during a drop', () => {
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

describe.each(testedStoreKinds())('promise 3: when the database (%s) is unreachable for a while', (store) => {
  let proxy: Awaited<ReturnType<typeof startTcpProxy>> | undefined;
  const p = usePipeline(undefined, { store });
  beforeAll(async () => {
    const database = new URL(p.env.DATABASE_URL!);
    proxy = await startTcpProxy({ host: database.hostname, port: Number(database.port) });
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

describe('promise 3: when a poison message is on the topic', () => {
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

describe('promise 3: when an API process is SIGKILLed mid-drop', () => {
  const p = usePipeline();

  it('every 202 it gave becomes exactly one coupon, and only claims it admitted become coupons', async () => {
    p.processes.dumpOnFailure();
    const eventId = randomId('ev');
    const stock = 20_000;
    await createEventVia(p.api, { id: eventId, name: 'api kill', stock });
    p.spawn('relay');
    p.spawn('worker');
    const victim = await p.spawnApi();
    const gate = await openGate(p.redisOptions(), () => undefined);
    try {
      // Users claim through the victim until it dies; a claim whose answer never came may or may not
      // have been admitted, and is kept apart.
      const answers: Array<{ userId: string; status: number; claimId?: string }> = [];
      let next = 0;
      let isKilled = false;
      const lane = async () => {
        while (!isKilled && next < stock) {
          const userId = `user-${next++}`;
          try {
            const response = await fetch(`${victim.baseUrl}/events/${eventId}/claims`, {
              method: 'POST',
              headers: { 'x-user-id': userId },
            });
            const { claimId } = (await response.json()) as { claimId?: string };
            answers.push({ userId, status: response.status, ...(claimId ? { claimId } : {}) });
          } catch {
            answers.push({ userId, status: 0 });
          }
        }
      };
      const drop = Promise.all(Array.from({ length: 64 }, lane));
      await waitFor('the drop well under way', async () => ((await gate.readFigures(eventId))?.admitted ?? 0) >= 1000);
      await victim.kill('SIGKILL');
      isKilled = true;
      await drop;

      const admitted = answers.filter((a) => a.status === 202);
      const unanswered = new Set(answers.filter((a) => a.status === 0).map((a) => a.userId));
      expect(admitted.length).toBeGreaterThanOrEqual(1000);
      expect(answers.filter((a) => a.status !== 202 && a.status !== 0)).toEqual([]);
      // Everything the gate admitted reaches the database: the 202s, and some claims whose answer was lost.
      const gateAdmitted = (await gate.readFigures(eventId))!.admitted;
      expect(gateAdmitted).toBeLessThanOrEqual(admitted.length + unanswered.size);
      await waitForCoupons(p.t.store, eventId, gateAdmitted);
      const coupons = await p.t.probe.coupons(eventId);
      expect(coupons).toHaveLength(gateAdmitted);
      const issued = new Set(coupons.map((c) => c.claim_id));
      expect(admitted.filter((a) => !issued.has(a.claimId!))).toEqual([]);
      const answeredIds = new Set(admitted.map((a) => a.claimId));
      const beyond202s = coupons.filter((c) => !answeredIds.has(c.claim_id));
      expect(beyond202s.filter((c) => !unanswered.has(c.user_id))).toEqual([]);
      expect(await p.t.probe.failedClaims({ eventId })).toEqual([]);
    } finally {
      await gate.close();
    }
  });
});

describe('promise 3: when the retry job is SIGKILLed mid-pass', () => {
  // The worker here runs only the retry job's passes: no relay feeds it, so the retry job alone issues.
  const p = usePipeline();

  it('the claims it held are retried after their lease, and every 202 is issued exactly once', async () => {
    p.processes.dumpOnFailure();
    const eventId = randomId('ev');
    const stock = 5000;
    await createEventVia(p.api, { id: eventId, name: 'retry kill', stock });
    const admitted = admittedOf(await claimAll([p.api], eventId, users(stock)));
    expect(admitted).toHaveLength(stock);

    // What a worker records when the database refuses a batch for a while: the claims wait in
    // failed_claims, due now, for the retry job.
    const gate = await openGate(p.redisOptions(), () => undefined);
    try {
      const consumer = gate.createOutboxConsumer({ consumerName: 'test', batchSize: stock, claimIdleMs: 60_000 });
      const claims = (await consumer.readNew(eventId)).map((entry) => entry.claim);
      expect(claims.map((c) => c.claimId).sort()).toEqual(admitted.map((a) => a.claimId).sort());
      await p.t.store.recordFailedClaims(claims.map((claim) => ({ claim, reason: 'refused: database read-only' })));
    } finally {
      await gate.close();
    }

    // Killed while it holds a lease on claims (taken from failed_claims, not yet settled) and has issued some.
    const leasedOf = async () => {
      const failed = await p.t.probe.failedClaims({ eventId });
      return failed.filter((f) => f.state === 'retrying' && f.next_attempt_at.getTime() > Date.now() + 10_000);
    };
    const retry = p.processes.add(spawnFirstcome(['retry'], p.env));
    // Frozen (SIGSTOP) before the state is read, so the pass cannot settle its lease between the look and the kill.
    await waitFor(
      'the retry pass halfway, frozen while it holds a lease',
      async () => {
        if (retry.child.exitCode !== null) throw new Error(`firstcome retry ended before the kill: ${retry.output()}`);
        const landed = await p.t.store.countCoupons(eventId);
        if (landed < 500 || landed > stock - 1500) return false;
        retry.child.kill('SIGSTOP');
        if ((await leasedOf()).length > 0) return true;
        retry.child.kill('SIGCONT');
        return false;
      },
      { intervalMs: 10 },
    );
    await retry.kill('SIGKILL');
    expect(await p.t.store.countCoupons(eventId)).toBeLessThan(stock);

    // The retry job inside a worker takes the dead pass's claims once their lease (60 s) is over.
    p.spawn('worker', { RETRY_INTERVAL_MS: '1000' });
    await waitForCoupons(p.t.store, eventId, stock, 150_000);
    await waitFor(
      'every failed claim marked issued',
      async () => {
        const failed = await p.t.probe.failedClaims({ eventId });
        return failed.length === stock && failed.every((f) => f.state === 'issued');
      },
      { timeoutMs: 150_000 },
    );
    const coupons = await p.t.probe.coupons(eventId);
    expect(coupons.map((c) => c.claim_id).sort()).toEqual(admitted.map((a) => a.claimId).sort());
    expect(new Set(coupons.map((c) => c.seq)).size).toBe(stock);
  }, 300_000);
});
