import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, freePort, waitFor } from './fixtures/basics.ts';
import { spawnApi, spawnFirstcome } from './fixtures/processes.ts';
import { useDatabase, usePrivateRedis } from './fixtures/datastores.ts';
import { testedStoreKinds } from './fixtures/databases.ts';

type Api = Awaited<ReturnType<typeof spawnApi>>;

async function inBatches<T, R>(items: T[], concurrency: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: concurrency }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await run(items[i] as T);
    }
  });
  await Promise.all(lanes);
  return results;
}

const claimOn = async (api: Api, eventId: string, userId: string) => {
  const response = await fetch(`${api.baseUrl}/events/${eventId}/claims`, {
    method: 'POST',
    headers: { 'x-user-id': userId },
  });
  return {
    status: response.status,
    body: (await response.json()) as { claimId?: string; userId?: string; error?: string },
  };
};

const admin = (api: Api, path: string, body?: unknown) =>
  fetch(`${api.baseUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: `Bearer ${adminToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe.each(testedStoreKinds())('claims through two API processes, on %s', (kind) => {
  const t = useDatabase(kind);
  // A Redis of its own: the gate's figures are asserted, and a restock notice must reach only these processes.
  const r = usePrivateRedis();
  const apis: Api[] = [];
  const env = () => ({ DATABASE_URL: t.url, ...r.env });

  beforeAll(async () => {
    apis.push(...(await Promise.all([spawnApi(env()), spawnApi(env())])));
  });
  afterAll(async () => {
    await Promise.all(apis.map((api) => api.kill()));
  });

  it('promises 1 and 2: admits exactly `stock` claims, none twice, no user beyond the limit, when 3000 claims race for 500 coupons', async () => {
    const id = r.eventId();
    expect((await admin(apis[0]!, '/admin/events', { id, name: 'race', stock: 500, perUserLimit: 2 })).status).toBe(
      201,
    );
    // The first 600 claims come from 150 users, four each: they take 300 coupons, two per user, and their
    // other 300 claims meet the limit (the event cannot sell out before: at most 127 other claims are in
    // flight meanwhile). 2400 users with one claim each race for the other 200.
    const userOf = (i: number) => (i < 600 ? `heavy-${i % 150}` : `user-${i}`);
    const attempts = Array.from({ length: 3000 }, (_, i) => ({ api: apis[i % 2]!, userId: userOf(i) }));
    const answers = await inBatches(attempts, 128, ({ api, userId }) => claimOn(api, id, userId));
    const admitted = answers.filter((a) => a.status === 202);
    expect(admitted).toHaveLength(500);
    expect(new Set(admitted.map((a) => a.body.claimId)).size).toBe(500);
    const perUser = new Map<string, number>();
    for (const a of admitted) perUser.set(a.body.userId!, (perUser.get(a.body.userId!) ?? 0) + 1);
    expect(Math.max(...perUser.values())).toBe(2);
    expect([...perUser].filter(([userId]) => userId.startsWith('heavy-')).map(([, n]) => n)).toEqual(
      Array.from({ length: 150 }, () => 2),
    );
    const rejections = new Map<string, number>();
    for (const a of answers.filter((x) => x.status !== 202)) {
      const key = `${a.status} ${a.body.error}`;
      rejections.set(key, (rejections.get(key) ?? 0) + 1);
    }
    expect(Object.fromEntries(rejections)).toEqual({ '409 limit_reached': 300, '409 sold_out': 2200 });
    const figures = (await (await admin(apis[1]!, `/admin/events/${id}`)).json()) as {
      admitted: number;
      remaining: number;
    };
    expect(figures).toMatchObject({ admitted: 500, remaining: 0 });
  });

  it('promise 2: holds a user to a limit of 3 across both processes', async () => {
    const id = r.eventId();
    await admin(apis[0]!, '/admin/events', { id, name: 'limit', stock: 100, perUserLimit: 3 });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => claimOn(apis[i % 2]!, id, 'carol')));
    expect(answers.filter((a) => a.status === 202)).toHaveLength(3);
    expect(answers.filter((a) => a.body.error === 'limit_reached')).toHaveLength(17);
  });

  it('ends an event closed through one process for claims on the other', async () => {
    const id = r.eventId();
    await admin(apis[0]!, '/admin/events', { id, name: 'closing', stock: 100 });
    expect((await claimOn(apis[1]!, id, 'dave')).status).toBe(202);
    expect((await admin(apis[0]!, `/admin/events/${id}/close`, {})).status).toBe(200);
    expect(await claimOn(apis[1]!, id, 'erin')).toEqual({
      status: 409,
      body: { error: 'ended', message: expect.any(String) },
    });
  });

  /** The process's count of claims it answered sold out from memory, without asking Redis (none yet: no line). */
  const soldOutFromMemory = async (api: Api) => {
    const metrics = await (await fetch(`${api.baseUrl}/metrics`)).text();
    return Number(/^firstcome_fast_path_hits_total\{verdict="SOLD_OUT"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
  };

  it('promise 4: remembers a sell-out in every process, and every process admits again when dead claims give their tickets back', async () => {
    const id = r.eventId();
    await admin(apis[0]!, '/admin/events', { id, name: 'fast path', stock: 2 });
    expect([(await claimOn(apis[0]!, id, 'f1')).status, (await claimOn(apis[1]!, id, 'f2')).status]).toEqual([
      202, 202,
    ]);
    for (const api of apis) {
      expect((await claimOn(api, id, 'g1')).body.error).toBe('sold_out');
      const before = await soldOutFromMemory(api);
      expect((await claimOn(api, id, 'g2')).body.error).toBe('sold_out');
      expect(await soldOutFromMemory(api)).toBe(before + 1);
    }

    // Both claims die: the database refuses their coupons (as a worker found), and the retry job gives them
    // up after their last attempt and hands their tickets back to the gate, which tells every process.
    const claims = await Promise.all(
      ['f1', 'f2'].map(async (userId) => {
        const [held] = await r.gate.listHeldClaims(id, userId);
        if (!held) throw new Error(`${userId} holds no claim in the gate`);
        return { claimId: held.claimId, eventId: id, userId, seq: held.seq, slot: held.slot, admittedAtMs: Date.now() };
      }),
    );
    const refusals = await Promise.all(claims.map((claim) => t.probe.refuseCouponsOf(claim.userId)));
    try {
      await t.store.recordFailedClaims(claims.map((claim) => ({ claim, reason: 'refused: as the worker found' })));
      const retry = spawnFirstcome(['retry'], { ...env(), RETRY_MAX_ATTEMPTS: '2' });
      expect(await retry.exited).toBe(0);
      expect(retry.output()).toContain('0 issued, 0 retrying, 2 dead; 2 tickets returned to the gate, 0 kept');
    } finally {
      await Promise.all(refusals.map((refusal) => refusal.restore()));
    }

    // Every process forgets the sell-out and admits again (until it hears, it answers sold out and admits nothing).
    for (const [i, api] of apis.entries()) {
      const answer = await waitFor(`process ${i} to admit again`, async () => {
        const attempt = await claimOn(api, id, `h${i}`);
        if (attempt.status !== 202 && attempt.body.error !== 'sold_out') throw new Error(JSON.stringify(attempt));
        return attempt.status === 202 && attempt;
      });
      expect(answer.body.userId).toBe(`h${i}`);
    }
    for (const api of apis) expect((await claimOn(api, id, 'g3')).body.error).toBe('sold_out');
    expect((await (await admin(apis[0]!, `/admin/events/${id}`)).json()) as object).toMatchObject({
      admitted: 2,
      remaining: 0,
    });
  });
});

describe('promise 5: when Redis stops', () => {
  const t = useDatabase();
  let redisPort: number;
  let redis: ChildProcess | undefined;
  let api: Api | undefined;

  const startRedis = async () => {
    redis = spawn(
      'redis-server',
      ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    await waitFor('the private Redis', async () => {
      const probe = spawn('redis-cli', ['-p', String(redisPort), 'ping'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      probe.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      await new Promise((resolve) => probe.once('exit', resolve));
      return out.includes('PONG');
    });
  };
  const stopRedis = async () => {
    if (!redis || redis.exitCode !== null) return;
    const exited = new Promise((resolve) => redis!.once('exit', resolve));
    redis.kill('SIGKILL');
    await exited;
  };

  beforeAll(async () => {
    redisPort = await freePort();
    await startRedis();
    api = await spawnApi({ DATABASE_URL: t.url, REDIS_URL: `redis://127.0.0.1:${redisPort}` });
  });
  afterAll(async () => {
    await api?.kill();
    await stopRedis();
  });

  it('answers 503 and admits nothing while Redis is down, then recovers', async () => {
    const id = 'redis_outage';
    expect((await admin(api!, '/admin/events', { id, name: 'outage', stock: 10 })).status).toBe(201);
    expect((await claimOn(api!, id, 'u1')).status).toBe(202);
    await stopRedis();
    const during = await claimOn(api!, id, 'u2');
    expect([during.status, during.body.error]).toEqual([503, 'unavailable']);
    expect((await fetch(`${api!.baseUrl}/readyz`)).status).toBe(503);
    await startRedis();
    // Redis came back empty (no persistence): the event is loaded again from PostgreSQL on demand.
    const after = await waitFor('claims admitted again', async () => {
      const answer = await claimOn(api!, id, 'u3');
      return answer.status === 202 ? answer : undefined;
    });
    expect(after.body.userId).toBe('u3');
    const figures = (await (await admin(api!, `/admin/events/${id}`)).json()) as { admitted: number };
    expect(figures.admitted).toBe(1);
  });
});
