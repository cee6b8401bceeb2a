import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGate } from '../src/gate/open-gate.ts';
import { workerGroupId } from '../src/kafka/kafka-options.ts';
import { createKafkaLag } from '../src/kafka/lag.ts';
import { createStoreProbe } from '../src/store/store-probe.ts';
import { testDatabaseUrl, testedStoreKinds } from './fixtures/databases.ts';
import { claimAll, createEventVia, expectPromisesHold, waitForCoupons } from './fixtures/promises.ts';
import { dropDatabase, startPrivateRedis, testClusterNodes, useKafkaTopics } from './fixtures/datastores.ts';
import { freePort, randomId, waitFor } from './fixtures/basics.ts';
import { spawnFirstcome, type ApiProcess, type FirstcomeProcess } from './fixtures/processes.ts';
import { usePipeline } from './fixtures/pipeline.ts';

const users = (count: number, distinct: number) => Array.from({ length: count }, (_, i) => `user-${i % distinct}`);

describe.each(testedStoreKinds())(
  'promises 1-3: a drop through API, relay, Kafka and worker processes, on %s',
  (kind) => {
    const p = usePipeline(undefined, { store: kind });
    const apis: ApiProcess[] = [];

    beforeAll(async () => {
      apis.push(p.api, await p.spawnApi());
      for (const role of ['relay', 'relay', 'worker', 'worker'] as const) p.spawn(role);
    });

    it('issues exactly the admitted claims as coupons when 4000 claims from 1500 users race for 1000 coupons', async () => {
      p.processes.dumpOnFailure();
      const eventId = randomId('ev');
      await createEventVia(apis[0]!, { id: eventId, name: 'drop', stock: 1000, perUserLimit: 2 });
      const answers = await claimAll(apis, eventId, users(4000, 1500));
      const admitted = answers.filter((a) => a.status === 202);
      expect(admitted).toHaveLength(1000);
      await waitForCoupons(p.t.store, eventId, admitted.length);
      await expectPromisesHold(p.t.probe, eventId, { stock: 1000, perUserLimit: 2, admitted });
    });

    it('keeps events apart: two drops at once each get exactly their own coupons', async () => {
      p.processes.dumpOnFailure();
      const [first, second] = [randomId('ev'), randomId('ev')];
      await createEventVia(apis[0]!, { id: first, name: 'first', stock: 300 });
      await createEventVia(apis[1]!, { id: second, name: 'second', stock: 200 });
      const [a, b] = await Promise.all([
        claimAll(apis, first, users(600, 600), 32),
        claimAll(apis, second, users(600, 600), 32),
      ]);
      const admittedA = a.filter((x) => x.status === 202);
      const admittedB = b.filter((x) => x.status === 202);
      expect([admittedA.length, admittedB.length]).toEqual([300, 200]);
      await waitForCoupons(p.t.store, first, 300);
      await waitForCoupons(p.t.store, second, 200);
      await expectPromisesHold(p.t.probe, first, { stock: 300, perUserLimit: 1, admitted: admittedA });
      await expectPromisesHold(p.t.probe, second, { stock: 200, perUserLimit: 1, admitted: admittedB });
    });
  },
);

/** A worker's rows so far: issued, and found stored already (redelivered), from its /metrics. */
const workerRowsOf = async (metricsPort: number) => {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const rows = (result: string) =>
    Number(new RegExp(`^firstcome_worker_rows_total\\{result="${result}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { issued: rows('issued'), duplicate: rows('duplicate') };
};

// How the worker stops does not depend on how Redis is laid out: the cluster run would only repeat it.
describe.skipIf(testClusterNodes() !== undefined)(
  'promise 3: the only worker stopped with SIGTERM while a batch is in flight',
  () => {
    const p = usePipeline();

    it('writes and commits the batch in hand, exits 0, and a restarted worker lands the rest: each claim exactly once', async () => {
      p.processes.dumpOnFailure();
      const eventId = randomId('ev');
      const stock = 1500;
      await createEventVia(p.api, { id: eventId, name: 'sigterm', stock });
      p.spawn('relay');
      const admitted = (await claimAll([p.api], eventId, users(stock, stock))).filter((a) => a.status === 202);
      expect(admitted).toHaveLength(stock);

      const gate = await openGate(p.redisOptions(), () => undefined);
      try {
        await waitFor('the relay to send every claim to Kafka', async () => {
          const { length, pending } = await gate.readOutboxFigures(eventId);
          return length === 0 && pending === 0;
        });
      } finally {
        await gate.close();
      }

      // Batches of 100 at 100 rows/s: after each batch the worker takes the next one from Kafka at once and
      // holds it about a second before writing it. A batch is in flight once the last one landed and its
      // offsets are committed, and nothing new has landed since (two readings in a row).
      const topic = p.env.KAFKA_TOPIC!;
      const lag = createKafkaLag({ brokers: ['127.0.0.1:9092'], topic, groupId: workerGroupId(topic), maxAgeMs: 0 });
      const worker = p.spawn('worker', { WORKER_BATCH_SIZE: '100', DB_MAX_WRITES_PER_SEC: '100' });
      try {
        let lastLanded = -1;
        await waitFor('a batch in flight: some batches landed and committed, most still to come', async () => {
          const landed = await p.t.store.countCoupons(eventId);
          const reading = await lag.read();
          const committed = reading.lag === null ? -1 : stock - reading.lag;
          const isInFlight = landed >= 200 && landed <= stock - 500 && committed === landed && landed === lastLanded;
          lastLanded = landed;
          return isInFlight;
        });
      } finally {
        await lag.close();
      }
      const landedBeforeStop = await p.t.store.countCoupons(eventId);
      await worker.kill('SIGTERM');
      expect(worker.child.exitCode).toBe(0);
      const landedAtExit = await p.t.store.countCoupons(eventId);
      // The batch in hand was written on the way out (with no wait), not left to the next worker.
      expect(landedAtExit).toBeGreaterThan(landedBeforeStop);
      expect(landedAtExit).toBeLessThan(stock);

      const metricsPort = await freePort();
      p.spawn('worker', { METRICS_PORT: String(metricsPort) });
      await waitForCoupons(p.t.store, eventId, stock);
      await expectPromisesHold(p.t.probe, eventId, { stock, perUserLimit: 1, admitted });
      // Every batch the stopped worker wrote was committed too: none came again to the new worker.
      const restarted = await waitFor('the new worker to count its rows', async () => {
        const rows = await workerRowsOf(metricsPort);
        return rows.issued === stock - landedAtExit && rows;
      });
      expect(restarted).toEqual({ issued: stock - landedAtExit, duplicate: 0 });
    });
  },
);

// Its Redis is a private one in every project: the cluster run would only repeat it.
describe.skipIf(testClusterNodes() !== undefined)('firstcome start', () => {
  const topics = useKafkaTopics();
  const database = randomId('firstcome_start');
  let redis: Awaited<ReturnType<typeof startPrivateRedis>> | undefined;
  let start: FirstcomeProcess | undefined;

  afterAll(async () => {
    await start?.kill();
    await redis?.stop();
    await dropDatabase(database);
  });

  it('runs the whole pipeline in one process: the demo claim becomes a coupon row', async () => {
    redis = await startPrivateRedis();
    const port = await freePort();
    start = spawnFirstcome(['start'], {
      PORT: String(port),
      DATABASE_URL: testDatabaseUrl(database),
      REDIS_URL: redis.url,
      KAFKA_TOPIC: topics.topic(),
    });
    await waitFor('the welcome of firstcome start', () => start!.output().includes('curl'));
    const claim = await fetch(`http://127.0.0.1:${port}/events/demo/claims`, {
      method: 'POST',
      headers: { 'x-user-id': 'alice' },
    });
    expect(claim.status).toBe(202);
    const { claimId } = (await claim.json()) as { claimId: string };
    const probe = createStoreProbe(testDatabaseUrl(database));
    try {
      await waitFor('the demo coupon', async () => (await probe.coupons('demo'))[0]);
      const coupons = (await probe.coupons('demo')).map(({ claim_id, user_id }) => ({ claim_id, user_id }));
      expect(coupons).toEqual([{ claim_id: claimId, user_id: 'alice' }]);
      const mine = await fetch(`http://127.0.0.1:${port}/events/demo/claims/me`, { headers: { 'x-user-id': 'alice' } });
      expect(await mine.json()).toMatchObject({
        claims: [{ claimId, status: 'issued', couponId: expect.any(String) }],
      });
    } finally {
      await probe.destroy();
    }
    await start.kill('SIGTERM');
    expect(start.child.exitCode).toBe(0);
  });
});
