import { createServer, connect, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, freePort, waitFor } from '../../test/fixtures/basics.ts';
import { buildTestApp } from '../../test/fixtures/app.ts';
import { startPrivateRedis, unreachableGate, useDatabase } from '../../test/fixtures/datastores.ts';
import { testedStoreKinds } from '../../test/fixtures/databases.ts';
import { gateKeys } from '../gate/keys.ts';
import { createGateHandle, type GateHandle } from '../gate/open-gate.ts';
import { connectRedis, createRedis, type GateRedis } from '../gate/redis.ts';
import { randomId } from '../../test/fixtures/basics.ts';
import { createRateLimiter } from './rate-limiter.ts';

const admin = { authorization: `Bearer ${adminToken}` };

/**
 * A TCP proxy in front of Redis that can hold back Redis's replies: the scripts run, their answers never
 * arrive, and `dropConnections` then fails the commands waiting for them, as a connection that dies after
 * Redis ran the script does.
 */
async function startReplyTrap(redisPort: number) {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let isHoldingReplies = false;
  const server = createServer((client) => {
    const upstream = connect(redisPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (!isHoldingReplies) client.write(chunk);
    });
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `redis://127.0.0.1:${port}`,
    holdReplies() {
      isHoldingReplies = true;
    },
    dropConnections() {
      isHoldingReplies = false;
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe.each(testedStoreKinds())('claims with an Idempotency-Key, on %s', (kind) => {
  const t = useDatabase(kind);
  // A Redis of its own: a relay on the shared one would drain the outboxes these tests count.
  let redisServer: Awaited<ReturnType<typeof startPrivateRedis>>;
  let redis: GateRedis;
  let gate: GateHandle;
  let app: FastifyInstance;

  beforeAll(async () => {
    redisServer = await startPrivateRedis();
    redis = await connectRedis(createRedis({ url: redisServer.url }), () => undefined);
    gate = createGateHandle(redis);
    app = buildTestApp(t.store, gate);
  });
  afterAll(async () => {
    await app.close();
    redis.destroy();
    await redisServer.stop();
  });

  async function createEvent(on: FastifyInstance, body: Record<string, unknown> = {}) {
    const id = randomId('ev');
    const response = await on.inject({
      method: 'POST',
      url: '/admin/events',
      headers: admin,
      payload: { id, name: 'Keyed drop', stock: 2, ...body },
    });
    expect(response.statusCode).toBe(201);
    return id;
  }

  const claim = (on: FastifyInstance, eventId: string, userId: string, key?: string) =>
    on.inject({
      method: 'POST',
      url: `/events/${eventId}/claims`,
      headers: { 'x-user-id': userId, ...(key === undefined ? {} : { 'idempotency-key': key }) },
    });

  const outboxClaimIds = async (eventId: string) =>
    ((await redis.xRange(gateKeys(eventId).outbox, '-', '+')) ?? []).map((entry) => entry.message.claimId);

  it('answers a replay with the first 202 and its claimId after the limit, the sell-out and the close', async () => {
    const id = await createEvent(app);
    const first = await claim(app, id, 'alice', 'order-1');
    expect(first.statusCode).toBe(202);
    const { claimId } = first.json<{ claimId: string }>();
    const again = { claimId, eventId: id, userId: 'alice', status: 'pending' };

    const replayed = await claim(app, id, 'alice', 'order-1');
    expect([replayed.statusCode, replayed.json()]).toEqual([202, again]);
    expect((await claim(app, id, 'alice')).json()).toMatchObject({ error: 'limit_reached' });
    expect((await claim(app, id, 'bob')).statusCode).toBe(202);
    // Carol's refusal puts the sell-out in the process's memory; a keyed request still asks the gate.
    expect((await claim(app, id, 'carol')).json()).toMatchObject({ error: 'sold_out' });
    expect((await claim(app, id, 'dave')).json()).toMatchObject({ error: 'sold_out' });
    expect([(await claim(app, id, 'alice', 'order-1')).json()]).toEqual([again]);
    expect((await claim(app, id, 'erin', 'order-1')).json()).toMatchObject({ error: 'sold_out' });
    expect((await app.inject({ method: 'POST', url: `/admin/events/${id}/close`, headers: admin })).statusCode).toBe(
      200,
    );
    expect((await claim(app, id, 'alice')).json()).toMatchObject({ error: 'ended' });
    expect([(await claim(app, id, 'alice', 'order-1')).json()]).toEqual([again]);

    expect(await outboxClaimIds(id)).toHaveLength(2);
    expect(await outboxClaimIds(id)).toContain(claimId);
  });

  it('takes no second coupon when a claim is retried after a 503 whose script ran (perUserLimit 2)', async () => {
    const trap = await startReplyTrap(Number(new URL(redisServer.url).port));
    const trapped = await connectRedis(createRedis({ url: trap.url }), () => undefined);
    const trappedApp = buildTestApp(t.store, createGateHandle(trapped));
    try {
      const id = await createEvent(trappedApp, { stock: 5, perUserLimit: 2 });
      // Redis knows the script afterwards: a held-back NOSCRIPT would keep the claim from ever running.
      expect((await claim(trappedApp, id, 'warm-up')).statusCode).toBe(202);
      const alicesClaimIds = async () =>
        ((await redis.xRange(gateKeys(id).outbox, '-', '+')) ?? [])
          .filter((entry) => entry.message.userId === 'alice')
          .map((entry) => entry.message.claimId);

      trap.holdReplies();
      const lost = claim(trappedApp, id, 'alice', 'retry-me');
      await waitFor('the gate to admit the claim', async () => (await alicesClaimIds()).length === 1);
      trap.dropConnections();
      const failed = await lost;
      expect([failed.statusCode, failed.json()]).toEqual([503, { error: 'unavailable', message: expect.any(String) }]);
      await waitFor('the gate connection to come back', () => trapped.isReady);

      const retried = await claim(trappedApp, id, 'alice', 'retry-me');
      expect(retried.statusCode).toBe(202);
      const [admittedClaimId] = await alicesClaimIds();
      expect(retried.json()).toEqual({ claimId: admittedClaimId, eventId: id, userId: 'alice', status: 'pending' });
      expect(await alicesClaimIds()).toHaveLength(1);
      expect(await gate.listHeldClaims(id, 'alice')).toHaveLength(1);

      // Another key is another claim: alice may hold two.
      const second = await claim(trappedApp, id, 'alice', 'another');
      expect(second.statusCode).toBe(202);
      expect(second.json<{ claimId: string }>().claimId).not.toBe(admittedClaimId);
      expect(failed.headers['retry-after']).toBe('1');
    } finally {
      await trappedApp.close();
      trapped.destroy();
      await trap.close();
    }
  });

  it('answers 400 naming Idempotency-Key to a key that is empty, too long, not visible ASCII or sent twice, admitting nothing', async () => {
    const id = await createEvent(app);
    const bad: Array<string | string[]> = ['', 'k'.repeat(129), 'has space', 'tab\there', 'clé', ['a', 'b']];
    for (const key of bad) {
      const response = await app.inject({
        method: 'POST',
        url: `/events/${id}/claims`,
        headers: { 'x-user-id': 'alice', 'idempotency-key': key },
      });
      expect([response.statusCode, response.json()], JSON.stringify(key)).toEqual([
        400,
        { error: 'invalid_request', message: expect.stringContaining('Idempotency-Key') },
      ]);
    }
    expect(await outboxClaimIds(id)).toHaveLength(0);
    expect((await claim(app, id, 'alice', 'k'.repeat(128))).statusCode).toBe(202);
    expect((await claim(app, id, 'bob', '!~')).statusCode).toBe(202);
  });

  it('answers a 503 and a 429 with Retry-After', async () => {
    const id = await createEvent(app);
    const down = buildTestApp(t.store, await unreachableGate());
    try {
      const unavailable = await claim(down, id, 'alice', 'k');
      expect([unavailable.statusCode, unavailable.headers['retry-after']]).toEqual([503, '1']);
    } finally {
      await down.close();
    }
    const limited = buildTestApp(t.store, gate, { rateLimiter: createRateLimiter(1, () => 0) });
    try {
      expect((await claim(limited, id, 'alice')).statusCode).toBe(202);
      const refused = await claim(limited, id, 'alice');
      expect([refused.statusCode, refused.headers['retry-after']]).toEqual([429, '1']);
    } finally {
      await limited.close();
    }
  });

  it('documents Idempotency-Key and Retry-After in the OpenAPI document', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json<{
      paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string }>; responses: object }>>;
    }>();
    const route = doc.paths['/events/{id}/claims']?.post;
    expect(route?.parameters).toContainEqual(expect.objectContaining({ in: 'header', name: 'idempotency-key' }));
    expect(route?.responses).toMatchObject({
      429: { headers: { 'retry-after': expect.any(Object) } },
      503: { headers: { 'retry-after': expect.any(Object) } },
    });
  });
});
