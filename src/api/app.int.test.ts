import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken } from '../../test/fixtures/basics.ts';
import { useDatabase, usePrivateRedis } from '../../test/fixtures/datastores.ts';
import { testedStoreKinds } from '../../test/fixtures/databases.ts';
import { buildTestApp } from '../../test/fixtures/app.ts';
import type { FastifyInstance } from 'fastify';
import { type AuthOptions } from './auth.ts';
import { createRateLimiter } from './rate-limiter.ts';

const jwtSecret = 'a-test-secret-that-is-long-enough-for-hs256';
const admin = { authorization: `Bearer ${adminToken}` };
const asUser = (userId: string) => ({ 'x-user-id': userId });

describe.each(testedStoreKinds())('HTTP API, on %s', (kind) => {
  const t = useDatabase(kind);
  // A Redis of its own: a relay on the shared one (a developer's `npm start`, the bench) drains every outbox.
  const r = usePrivateRedis();
  let app: FastifyInstance;

  const appWith = (auth: Partial<AuthOptions>) => buildTestApp(t.store, r.gate, {}, auth);

  beforeAll(() => {
    app = appWith({});
  });
  afterAll(async () => app.close());

  async function createEvent(body: Record<string, unknown> = {}) {
    const id = r.eventId();
    const response = await app.inject({
      method: 'POST',
      url: '/admin/events',
      headers: admin,
      payload: { id, name: 'Drop', stock: 5, ...body },
    });
    expect(response.statusCode).toBe(201);
    return id;
  }

  const claim = (eventId: string, userId: string) =>
    app.inject({ method: 'POST', url: `/events/${eventId}/claims`, headers: asUser(userId) });

  it('creates an event, shows it, admits a claim and shows the claim as pending', async () => {
    const id = await createEvent({ perUserLimit: 2 });
    const view = await app.inject({ method: 'GET', url: `/events/${id}` });
    expect(view.json()).toEqual({
      id,
      name: 'Drop',
      stock: 5,
      remaining: 5,
      perUserLimit: 2,
      shards: 1,
      startsAt: null,
      endsAt: null,
      state: 'open',
      queue: null,
    });
    const admitted = await claim(id, 'alice');
    expect(admitted.statusCode).toBe(202);
    const body = admitted.json<{ claimId: string }>();
    expect(body).toEqual({ claimId: expect.any(String), eventId: id, userId: 'alice', status: 'pending' });
    const mine = await app.inject({ method: 'GET', url: `/events/${id}/claims/me`, headers: asUser('alice') });
    expect(mine.json()).toEqual({ claims: [{ claimId: body.claimId, status: 'pending' }] });
    const figures = await app.inject({ method: 'GET', url: `/admin/events/${id}`, headers: admin });
    expect(figures.json()).toMatchObject({
      admitted: 1,
      remaining: 4,
      issued: 0,
      pending: 1,
      failed: 0,
      state: 'open',
    });
  });

  it('spreads an event over the shards it asks for, and admits exactly its stock', async () => {
    const id = await createEvent({ stock: 4, shards: 3 });
    expect((await app.inject({ method: 'GET', url: `/events/${id}` })).json()).toMatchObject({ shards: 3 });
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => claim(id, `s${i}`)));
    expect(answers.map((a) => a.statusCode).sort()).toEqual([...Array(4).fill(202), ...Array(8).fill(409)]);
  });

  /** Everything the gate holds for an event: counters, held claims, returned tickets and the outbox. */
  const gateStateOf = async (eventId: string) => ({
    tickets: await r.gate.readTickets(eventId),
    outbox: await r.gate.readOutboxFigures(eventId),
    figures: await r.gate.readFigures(eventId),
  });

  it('promise 5: answers 409 for sold out, limit reached, not started and ended, admitting nothing', async () => {
    const soldOut = await createEvent({ stock: 1 });
    expect((await claim(soldOut, 'a')).statusCode).toBe(202);
    const soldOutState = await gateStateOf(soldOut);
    expect(soldOutState.outbox.length).toBe(1);
    const rejected = await claim(soldOut, 'b');
    expect([rejected.statusCode, rejected.json()]).toEqual([409, { error: 'sold_out', message: expect.any(String) }]);
    expect((await claim(soldOut, 'a')).json<{ error: string }>().error).toBe('sold_out');
    // Through a process that has not yet remembered the sell-out, so the gate itself decides.
    const fresh = buildTestApp(t.store, r.gate);
    try {
      const viaGate = await fresh.inject({ method: 'POST', url: `/events/${soldOut}/claims`, headers: asUser('c') });
      expect(viaGate.json<{ error: string }>().error).toBe('sold_out');
    } finally {
      await fresh.close();
    }
    expect(await gateStateOf(soldOut)).toEqual(soldOutState);
    expect((await app.inject({ method: 'GET', url: `/events/${soldOut}` })).json()).toMatchObject({
      state: 'sold_out',
      remaining: 0,
    });

    const limited = await createEvent({ stock: 10 });
    await claim(limited, 'a');
    expect((await claim(limited, 'a')).json<{ error: string }>().error).toBe('limit_reached');

    const upcoming = await createEvent({ startsAt: new Date(Date.now() + 3_600_000).toISOString() });
    expect((await claim(upcoming, 'a')).json<{ error: string }>().error).toBe('not_started');
    expect((await app.inject({ method: 'GET', url: `/events/${upcoming}` })).json()).toMatchObject({
      state: 'upcoming',
    });

    const closed = await createEvent();
    const close = await app.inject({ method: 'POST', url: `/admin/events/${closed}/close`, headers: admin });
    expect(close.statusCode).toBe(200);
    expect(close.json()).toMatchObject({ state: 'ended' });
    expect((await claim(closed, 'a')).json<{ error: string }>().error).toBe('ended');

    for (const id of [limited, upcoming, closed]) {
      expect((await r.gate.readOutboxFigures(id)).length).toBe(id === limited ? 1 : 0);
    }
  });

  it('loads an event into the gate on demand when Redis lost it', async () => {
    const id = await createEvent({ stock: 2 });
    await r.loseEvent(id);
    expect((await claim(id, 'a')).statusCode).toBe(202);
    expect((await app.inject({ method: 'GET', url: `/events/${id}` })).json()).toMatchObject({ remaining: 1 });
  });

  it.each([
    ['a missing name', { stock: 1 }, 'name'],
    ['a stock of 0', { name: 'x', stock: 0 }, 'stock'],
    ['a stock over 100000000', { name: 'x', stock: 100_000_001 }, 'stock'],
    ['a fractional stock', { name: 'x', stock: 1.5 }, 'stock'],
    ['a stock as a string', { name: 'x', stock: '5' }, 'stock'],
    ['a perUserLimit over 1000', { name: 'x', stock: 1, perUserLimit: 1001 }, 'perUserLimit'],
    ['0 shards', { name: 'x', stock: 1, shards: 0 }, 'shards'],
    ['257 shards', { name: 'x', stock: 1, shards: 257 }, 'shards'],
    ['shards neither a number nor auto', { name: 'x', stock: 1, shards: 'many' }, 'shards'],
    ['an id with a space', { id: 'a b', name: 'x', stock: 1 }, 'id'],
    ['an id of 65 characters', { id: 'a'.repeat(65), name: 'x', stock: 1 }, 'id'],
    ['a name of 201 characters', { name: 'n'.repeat(201), stock: 1 }, 'name'],
    ['a startsAt that is no date', { name: 'x', stock: 1, startsAt: 'tomorrow' }, 'startsAt'],
    [
      'an endsAt before startsAt',
      { name: 'x', stock: 1, startsAt: '2030-01-02T00:00:00Z', endsAt: '2030-01-01T00:00:00Z' },
      'endsAt',
    ],
    ['an unknown field', { name: 'x', stock: 1, color: 'red' }, 'color'],
  ])('refuses an event with %s (400 naming the field, nothing stored)', async (_label, payload, field) => {
    const before = (await app.inject({ method: 'GET', url: '/admin/events', headers: admin })).json<{
      events: unknown[];
    }>();
    const response = await app.inject({ method: 'POST', url: '/admin/events', headers: admin, payload });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: 'invalid_request',
      message: expect.stringMatching(new RegExp(`^${field}: `)),
    });
    const after = (await app.inject({ method: 'GET', url: '/admin/events', headers: admin })).json<{
      events: unknown[];
    }>();
    expect(after.events).toHaveLength(before.events.length);
  });

  it('promise 5: answers the contract codes for bad requests, admitting nothing', async () => {
    const id = await createEvent();
    const cases = [
      [
        app.inject({
          method: 'POST',
          url: '/admin/events',
          headers: { ...admin, 'content-type': 'application/json' },
          payload: '{"name":',
        }),
        400,
        'invalid_request',
      ],
      [
        app.inject({
          method: 'POST',
          url: '/admin/events',
          headers: admin,
          payload: { id: 'big', name: 'x'.repeat(20_000), stock: 1 },
        }),
        413,
        'payload_too_large',
      ],
      [app.inject({ method: 'POST', url: '/admin/events', payload: { name: 'x', stock: 1 } }), 401, 'unauthenticated'],
      [
        app.inject({ method: 'GET', url: '/admin/events', headers: { authorization: 'Bearer wrong' } }),
        401,
        'unauthenticated',
      ],
      [
        app.inject({ method: 'POST', url: '/admin/events', headers: admin, payload: { id, name: 'x', stock: 1 } }),
        409,
        'event_exists',
      ],
      [app.inject({ method: 'GET', url: '/events/nope' }), 404, 'event_not_found'],
      [app.inject({ method: 'GET', url: '/admin/events/nope', headers: admin }), 404, 'event_not_found'],
      [app.inject({ method: 'POST', url: '/admin/events/nope/close', headers: admin }), 404, 'event_not_found'],
      [app.inject({ method: 'POST', url: '/events/nope/claims', headers: asUser('a') }), 404, 'event_not_found'],
      [app.inject({ method: 'POST', url: `/events/${id}/claims` }), 401, 'unauthenticated'],
      [
        app.inject({ method: 'POST', url: `/events/${id}/claims`, headers: asUser('u'.repeat(129)) }),
        400,
        'invalid_request',
      ],
      [app.inject({ method: 'GET', url: `/events/${id}/claims/me` }), 401, 'unauthenticated'],
    ] as const;
    for (const [pending, status, error] of cases) {
      const response = await pending;
      expect([response.statusCode, response.json<{ error: string }>().error]).toEqual([status, error]);
      expect(response.json<{ message: string }>().message).toEqual(expect.any(String));
    }
    expect(await t.store.countCoupons(id)).toBe(0);
    expect((await r.gate.readOutboxFigures(id)).length).toBe(0);
  });

  it('promise 5: answers 413 to a claim with a body over the limit, and admits nothing', async () => {
    const id = await createEvent({ stock: 3 });
    expect((await claim(id, 'alice')).statusCode).toBe(202);
    const before = await gateStateOf(id);
    const tooLarge = await app.inject({
      method: 'POST',
      url: `/events/${id}/claims`,
      headers: { ...asUser('bob'), 'content-type': 'application/json' },
      payload: JSON.stringify({ note: 'x'.repeat(64 * 1024) }),
    });
    expect([tooLarge.statusCode, tooLarge.json()]).toEqual([
      413,
      { error: 'payload_too_large', message: expect.any(String) },
    ]);
    expect(await gateStateOf(id)).toEqual(before);
    const view = await app.inject({ method: 'GET', url: `/admin/events/${id}`, headers: admin });
    expect(view.json()).toMatchObject({ admitted: 1, remaining: 2, pending: 1 });
    const mine = await app.inject({ method: 'GET', url: `/events/${id}/claims/me`, headers: asUser('bob') });
    expect(mine.json()).toEqual({ claims: [] });
  });

  it('accepts a claim with an empty JSON body', async () => {
    const id = await createEvent();
    const response = await app.inject({
      method: 'POST',
      url: `/events/${id}/claims`,
      headers: { ...asUser('a'), 'content-type': 'application/json' },
      payload: '',
    });
    expect(response.statusCode).toBe(202);
  });

  describe('with AUTH_MODE=jwt', () => {
    let jwtApp: FastifyInstance;
    beforeAll(() => {
      jwtApp = appWith({ mode: 'jwt', jwtSecret });
    });
    afterAll(async () => jwtApp.close());
    const tokenFor = (sub: string, secret = jwtSecret) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(sub)
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(secret));

    it('takes the user id from the sub of a valid token, and refuses a forged one', async () => {
      const id = await createEvent();
      const ok = await jwtApp.inject({
        method: 'POST',
        url: `/events/${id}/claims`,
        headers: { authorization: `Bearer ${await tokenFor('bob')}` },
      });
      expect([ok.statusCode, ok.json<{ userId: string }>().userId]).toEqual([202, 'bob']);
      const forged = await jwtApp.inject({
        method: 'POST',
        url: `/events/${id}/claims`,
        headers: { authorization: `Bearer ${await tokenFor('eve', 'another-secret-that-is-long-enough-too')}` },
      });
      expect([forged.statusCode, forged.json<{ error: string }>().error]).toEqual([401, 'unauthenticated']);
      const userOnAdmin = await jwtApp.inject({
        method: 'GET',
        url: '/admin/events',
        headers: { authorization: `Bearer ${await tokenFor('bob')}` },
      });
      expect([userOnAdmin.statusCode, userOnAdmin.json<{ error: string }>().error]).toEqual([403, 'forbidden']);
      expect((await jwtApp.inject({ method: 'GET', url: `/admin/events/${id}`, headers: admin })).json()).toMatchObject(
        { admitted: 1 },
      );
    });
  });

  it('promise 5: answers 429 beyond a configured per-user rate, admitting nothing for it', async () => {
    const limited = buildTestApp(t.store, r.gate, { rateLimiter: createRateLimiter(1, () => 0) });
    try {
      const id = await createEvent({ stock: 10, perUserLimit: 5 });
      const claimOnce = () => limited.inject({ method: 'POST', url: `/events/${id}/claims`, headers: asUser('rita') });
      expect((await claimOnce()).statusCode).toBe(202);
      const second = await claimOnce();
      expect([second.statusCode, second.json<{ error: string }>().error]).toEqual([429, 'rate_limited']);
      expect((await r.gate.readOutboxFigures(id)).length).toBe(1);
    } finally {
      await limited.close();
    }
  });

  it('answers healthz, readyz and metrics', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('firstcome_claims_total');
  });
});
