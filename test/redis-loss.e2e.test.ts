import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGate } from '../src/gate/open-gate.ts';
import { adminToken, freePort, randomId, waitFor } from './fixtures/basics.ts';
import { claimAll, createEventVia, expectPromisesHold, waitForCoupons } from './fixtures/promises.ts';
import { spawnApi, spawnFirstcome, type ApiProcess, type FirstcomeProcess } from './fixtures/processes.ts';
import { testedStoreKinds } from './fixtures/databases.ts';
import { useDatabase, useKafkaTopics } from './fixtures/datastores.ts';

/** A redis-server of this test's own, without persistence: a restart loses everything, as promise 6 supposes. */
async function startVolatileRedis() {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let server: ChildProcess | undefined;
  let exited: Promise<unknown> = Promise.resolve();
  const start = async () => {
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    server = child;
    exited = new Promise((resolve) => child.once('exit', resolve));
    await waitFor(`redis-server on port ${port}`, async () => {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      const gate = await openGate({ url }, () => undefined).catch(() => undefined);
      if (!gate) return false;
      await gate.close();
      return true;
    });
  };
  const stop = async () => {
    if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    url,
    stop,
    /** Killed and started again on the same port: every key is gone. */
    async wipe() {
      await stop();
      await start();
    },
  };
}

const users = (count: number, distinct: number, prefix = 'user') =>
  Array.from({ length: count }, (_, i) => `${prefix}-${i % distinct}`);

describe.each(testedStoreKinds())('promise 6: when Redis loses its data (%s)', (store) => {
  const t = useDatabase(store);
  const topics = useKafkaTopics();
  let redis: Awaited<ReturnType<typeof startVolatileRedis>>;
  let env: Record<string, string>;
  const processes: FirstcomeProcess[] = [];
  const apis: ApiProcess[] = [];

  beforeAll(async () => {
    redis = await startVolatileRedis();
    env = { DATABASE_URL: t.url, REDIS_URL: redis.url, KAFKA_TOPIC: topics.topic(), KAFKA_PARTITIONS: '2' };
    apis.push(...(await Promise.all([spawnApi(env), spawnApi(env)])));
    processes.push(...apis, spawnFirstcome(['relay'], env), spawnFirstcome(['worker'], env));
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill()));
    await redis?.stop();
  });

  const reconcile = async (eventId: string, ...args: string[]) => {
    const proc = spawnFirstcome(['reconcile', '--event', eventId, '--json', ...args], env);
    const code = await proc.exited;
    return { code, report: JSON.parse(proc.output()) as { drift: boolean; events: Array<Record<string, unknown>> } };
  };
  const stateOf = async (eventId: string) => {
    const response = await fetch(`${apis[0]!.baseUrl}/events/${eventId}`);
    return ((await response.json()) as { state: string }).state;
  };

  it('still holds exactly `stock` coupons, none beyond a user’s limit, and reconcile --repair brings the gate back', async () => {
    const eventId = randomId('ev');
    const stock = 300;
    const perUserLimit = 2;
    await createEventVia(apis[0]!, { id: eventId, name: 'wiped', stock, perUserLimit });
    const admitted = (await claimAll(apis, eventId, users(1200, 500))).filter((a) => a.status === 202);
    expect(admitted).toHaveLength(stock);
    await waitForCoupons(t.store, eventId, stock);
    expect(await stateOf(eventId)).toBe('sold_out');

    // Redis forgets the event: reconcile sees it, and --repair re-seeds the gate from the database.
    await redis.wipe();
    const lost = await reconcile(eventId);
    expect(lost.code).toBe(1);
    expect(lost.report.events[0]).toMatchObject({
      gate: null,
      notInGate: stock,
      problems: ['the gate lost the event', `${stock} claims in the database the gate does not hold`],
    });
    const repaired = await reconcile(eventId, '--repair');
    expect(repaired.code).toBe(0);
    expect(repaired.report.events[0]).toMatchObject({
      after: { gate: { admitted: stock, held: stock }, problems: [] },
    });
    expect(await stateOf(eventId)).toBe('sold_out');

    // Forgotten again, and claims keep coming: the API processes re-seed the gate themselves, and neither
    // a new user nor a user at the limit gets a coupon.
    await redis.wipe();
    const after = await claimAll(apis, eventId, [...users(300, 300, 'late'), ...users(300, 500)], 32);
    expect(after.filter((a) => a.status === 202)).toEqual([]);
    expect(after.filter((a) => a.status === 409).length).toBeGreaterThan(0);
    expect(after.filter((a) => a.status !== 409 && a.status !== 503)).toEqual([]);
    await expectPromisesHold(t.probe, eventId, { stock, perUserLimit, admitted });
    expect(await stateOf(eventId)).toBe('sold_out');
    const figures = (await (
      await fetch(`${apis[1]!.baseUrl}/admin/events/${eventId}`, { headers: { authorization: `Bearer ${adminToken}` } })
    ).json()) as { admitted: number; issued: number; pending: number };
    expect(figures).toMatchObject({ admitted: stock, issued: stock, pending: 0 });
    expect((await reconcile(eventId)).code).toBe(0);
  });

  it('refuses in the database the tickets a wiped gate hands out twice, and --repair lets the rest of the stock go', async () => {
    const eventId = randomId('ev');
    const stock = 200;
    await createEventVia(apis[0]!, { id: eventId, name: 'wiped mid-drop', stock, perUserLimit: 1 });
    const gate = await openGate({ url: redis.url }, () => undefined);
    const outboxDrained = async () => (await gate.readOutboxFigures(eventId)).length === 0;
    const admittedOf = async (userIds: string[]) =>
      (await claimAll(apis, eventId, userIds)).filter((a) => a.status === 202);
    try {
      // The worker is away: the drop waits in Kafka, admitted and relayed but not yet in the database.
      const worker = processes.find((p) => p.child.spawnargs.includes('worker'))!;
      await worker.kill('SIGTERM');
      processes.splice(processes.indexOf(worker), 1);
      const first = await admittedOf(users(100, 100, 'mid'));
      expect(first).toHaveLength(100);
      await waitFor('the relay to send the first claims to Kafka', outboxDrained);

      // Redis forgets everything; the gate, re-seeded from a database without coupons, hands tickets 1..100
      // out again (to new users), then 101..200 to the first users once more: it forgot they hold a claim.
      await redis.wipe();
      await waitFor('both API processes to reach Redis again', async () => {
        const answers = await Promise.all(apis.map((api) => fetch(`${api.baseUrl}/readyz`)));
        return answers.every((answer) => answer.ok);
      });
      const second = [...(await admittedOf(users(100, 100, 'new'))), ...(await admittedOf(users(100, 100, 'mid')))];
      expect(second).toHaveLength(stock);
      expect(await stateOf(eventId)).toBe('sold_out');
      await waitFor('the relay to send the second claims to Kafka', outboxDrained);
      processes.push(spawnFirstcome(['worker'], { ...env, RETRY_INTERVAL_MS: '200' }));
      await waitFor('every admitted claim to be a coupon or a settled failure', async () => {
        const [coupons, failed] = await Promise.all([t.probe.coupons(eventId), t.probe.failedClaims({ eventId })]);
        const isSettled = failed.every((f) => f.state === 'dead' && f.ticket_returned !== null);
        return coupons.length + failed.length === first.length + second.length && isSettled;
      });
      await expectDatabasePromises(eventId, { stock, perUserLimit: 1 });

      // A first user's second claim (ticket 101..200) is refused: the user's slot is taken, so its ticket
      // stays counted in the gate though no coupon holds it. Those tickets are left: the gate says sold out.
      const issued = await t.store.countCoupons(eventId);
      const left = stock - issued;
      expect(left).toBeGreaterThan(0);
      expect((await claimAll(apis, eventId, users(20, 20, 'refused'))).map((a) => a.status)).toEqual(
        Array.from({ length: 20 }, () => 409),
      );
      expect(await stateOf(eventId)).toBe('sold_out');
      const drift = await reconcile(eventId, '--grace-seconds', '0');
      expect([drift.code, drift.report.drift]).toEqual([1, true]);

      const repaired = await reconcile(eventId, '--grace-seconds', '0', '--repair');
      expect(repaired.code).toBe(0);
      expect(await stateOf(eventId)).toBe('open');
      // Every ticket left goes to new claims, and not one more.
      const late = await admittedOf(users(left + 100, left + 100, 'late'));
      expect(late).toHaveLength(left);
      await waitForCoupons(t.store, eventId, stock);
      await expectDatabasePromises(eventId, { stock, perUserLimit: 1 });
      const coupons = await t.probe.coupons(eventId);
      expect(coupons.map((c) => c.seq)).toEqual(Array.from({ length: stock }, (_, i) => i + 1));
      expect(
        coupons
          .filter((c) => c.user_id.startsWith('late-'))
          .map((c) => c.claim_id)
          .sort(),
      ).toEqual(late.map((a) => a.claimId).sort());
      expect(await stateOf(eventId)).toBe('sold_out');
      expect((await reconcile(eventId)).code).toBe(0);
    } finally {
      await gate.close();
    }
  });

  /** Promises 1 and 2, in the database itself: whatever the gate did, no ticket twice and no slot beyond the limit. */
  async function expectDatabasePromises(
    eventId: string,
    { stock, perUserLimit }: { stock: number; perUserLimit: number },
  ) {
    const coupons = await t.probe.coupons(eventId);
    expect(coupons.length).toBeLessThanOrEqual(stock);
    expect(new Set(coupons.map((c) => c.seq)).size).toBe(coupons.length);
    const perUser = new Map<string, number>();
    for (const c of coupons) perUser.set(c.user_id, (perUser.get(c.user_id) ?? 0) + 1);
    expect(Math.max(0, ...perUser.values())).toBeLessThanOrEqual(perUserLimit);
  }
});
