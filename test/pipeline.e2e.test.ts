import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStoreProbe } from '../src/store/store-probe.ts';
import { testDatabaseUrl } from './fixtures/databases.ts';
import { claimAll, createEventVia, expectPromisesHold, waitForCoupons } from './fixtures/promises.ts';
import { dropDatabase, startPrivateRedis, useDatabase, useKafkaTopics } from './fixtures/datastores.ts';
import { freePort, randomId, waitFor } from './fixtures/basics.ts';
import { spawnApi, spawnFirstcome, type ApiProcess, type FirstcomeProcess } from './fixtures/processes.ts';

const users = (count: number, distinct: number) => Array.from({ length: count }, (_, i) => `user-${i % distinct}`);

describe('a drop through API, relay, Kafka and worker processes', () => {
  const t = useDatabase();
  const topics = useKafkaTopics();
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let env: Record<string, string>;
  const processes: FirstcomeProcess[] = [];
  const apis: ApiProcess[] = [];

  beforeAll(async () => {
    redis = await startPrivateRedis();
    env = { DATABASE_URL: t.url, REDIS_URL: redis.url, KAFKA_TOPIC: topics.topic(), KAFKA_PARTITIONS: '4' };
    apis.push(...(await Promise.all([spawnApi(env), spawnApi(env)])));
    processes.push(...apis);
    for (const role of ['relay', 'relay', 'worker', 'worker']) processes.push(spawnFirstcome([role], env));
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill()));
    await redis?.stop();
  });

  it('issues exactly the admitted claims as coupons when 4000 claims from 1500 users race for 1000 coupons', async () => {
    const eventId = randomId('ev');
    await createEventVia(apis[0]!, { id: eventId, name: 'drop', stock: 1000, perUserLimit: 2 });
    const answers = await claimAll(apis, eventId, users(4000, 1500));
    const admitted = answers.filter((a) => a.status === 202);
    expect(admitted).toHaveLength(1000);
    await waitForCoupons(t.store, eventId, admitted.length);
    await expectPromisesHold(t.probe, eventId, { stock: 1000, perUserLimit: 2, admitted });
  });

  it('keeps events apart: two drops at once each get exactly their own coupons', async () => {
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
    await waitForCoupons(t.store, first, 300);
    await waitForCoupons(t.store, second, 200);
    await expectPromisesHold(t.probe, first, { stock: 300, perUserLimit: 1, admitted: admittedA });
    await expectPromisesHold(t.probe, second, { stock: 200, perUserLimit: 1, admitted: admittedB });
  });

  it('stops a worker cleanly on SIGTERM: it exits 0 and the claims still land', async () => {
    const worker = processes.find((p) => p.child.spawnargs.includes('worker'))!;
    const eventId = randomId('ev');
    await createEventVia(apis[0]!, { id: eventId, name: 'sigterm', stock: 500 });
    const drop = claimAll(apis, eventId, users(800, 800), 32);
    await worker.kill('SIGTERM');
    expect(worker.child.exitCode).toBe(0);
    const admitted = (await drop).filter((a) => a.status === 202);
    await waitForCoupons(t.store, eventId, admitted.length);
    await expectPromisesHold(t.probe, eventId, { stock: 500, perUserLimit: 1, admitted });
  });
});

describe('firstcome start', () => {
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
