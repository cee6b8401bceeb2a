import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { adminToken, randomId, waitFor } from '../../test/fixtures/basics.ts';
import { useDatabase, usePrivateRedis } from '../../test/fixtures/datastores.ts';
import { buildTestApp } from '../../test/fixtures/app.ts';
import { layoutOf } from '../gate/event-layout.ts';
import { queuedEventOf } from '../gate/gate.ts';
import type { EventDefinition, EventQueue } from '../claim.ts';
import { generateAdmissionKey } from '../admission-keys.ts';
import { type AdmissionTokens, createAdmissionTokens, jtiOf } from './admission-tokens.ts';

const admin = { authorization: `Bearer ${adminToken}` };
const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();

describe('the queue routes (CONTRACT.md, Fair start)', () => {
  const t = useDatabase();
  const r = usePrivateRedis();
  let app: FastifyInstance;
  let tokens: AdmissionTokens;

  beforeAll(async () => {
    tokens = createAdmissionTokens([generateAdmissionKey()]);
    app = buildTestApp(t.store, r.gate, { admissionTokens: tokens });
  });
  afterAll(async () => app.close());

  async function createEvent(body: Record<string, unknown>): Promise<EventDefinition & { queue: EventQueue }> {
    const id = r.eventId();
    const created = await app.inject({
      method: 'POST',
      url: '/admin/events',
      headers: admin,
      payload: { id, name: 'Drop', stock: 10, ...body },
    });
    expect(created.statusCode).toBe(201);
    const event = await t.store.findEvent(id);
    return event as EventDefinition & { queue: EventQueue };
  }
  const join = (id: string, userId: string) =>
    app.inject({ method: 'POST', url: `/events/${id}/queue`, headers: { 'x-user-id': userId } });
  const me = (id: string, userId: string) =>
    app.inject({ method: 'GET', url: `/events/${id}/queue/me`, headers: { 'x-user-id': userId } });
  /** The user's view once it is `state` (the route reads each event's state at most every 200 ms). */
  const meOnce = (id: string, userId: string, state: string) =>
    waitFor(`${userId} ${state}`, async () => {
      const answer = await me(id, userId);
      const body = answer.json<{ state: string }>();
      return answer.statusCode === 200 && body.state === state ? body : undefined;
    });

  it('answers 409 no_queue for an event without a queue, and not_started before prequeueAt', async () => {
    const plain = await createEvent({});
    expect((await join(plain.id, 'alice')).json()).toMatchObject({ error: 'no_queue' });
    expect((await me(plain.id, 'alice')).statusCode).toBe(409);
    const later = await createEvent({
      startsAt: inMs(3_600_000),
      queue: { prequeueAt: inMs(60_000), admitPerSecond: 10 },
    });
    const early = await join(later.id, 'alice');
    expect(early.statusCode).toBe(409);
    expect(early.json()).toMatchObject({ error: 'not_started' });
    expect((await me(later.id, 'alice')).json()).toMatchObject({ error: 'not_in_queue' });
  });

  it('prequeue: joining twice keeps one place, no position is promised, and others are not in the queue', async () => {
    const event = await createEvent({
      startsAt: inMs(3_600_000),
      queue: { prequeueAt: inMs(-60_000), admitPerSecond: 10 },
    });
    for (let i = 0; i < 2; i++) {
      const joined = await join(event.id, 'alice');
      expect(joined.statusCode).toBe(202);
      expect(joined.json()).toEqual({ state: 'prequeue', retryAfterMs: expect.any(Number) });
    }
    expect((await me(event.id, 'alice')).json()).toEqual({ state: 'prequeue', retryAfterMs: 10_000 });
    const stranger = await me(event.id, 'bob');
    expect(stranger.statusCode).toBe(404);
    expect(stranger.json()).toMatchObject({ error: 'not_in_queue' });
  });

  it('waiting, your_turn with a token, expired, then sold_out and ended', async () => {
    const event = await createEvent({
      stock: 1,
      startsAt: inMs(-1000),
      queue: { prequeueAt: inMs(-60_000), admitPerSecond: 100_000, maxActive: 1, tokenTtlSeconds: 60 },
    });
    for (const userId of ['a', 'b', 'c']) expect((await join(event.id, userId)).statusCode).toBe(202);
    // The scheduler's work, by hand: the opening, and the window up to maxActive.
    const queued = queuedEventOf(event);
    const { seed } = await r.gate.queue.open(queued);
    await waitFor('the window at 1', async () => (await r.gate.queue.advance(queued, event.queue))!.window >= 1);

    const turn = await meOnce(event.id, 'a', 'your_turn');
    expect(turn).toEqual({
      state: 'your_turn',
      position: 1,
      ahead: 0,
      token: expect.any(String),
      retryAfterMs: 10_000,
    });
    const claims = await tokens.verify((turn as unknown as { token: string }).token);
    expect(claims).toMatchObject({ eventId: event.id, userId: 'a' });
    expect((await me(event.id, 'a')).json()).toMatchObject({ state: 'your_turn' });
    expect((await r.gate.queue.readState(queued)).tokensIssued).toBe(1);
    expect(seed).toMatch(/^[0-9a-f]{64}$/);
    expect((await me(event.id, 'b')).json()).toMatchObject({ state: 'waiting', position: 2, ahead: 0 });
    expect((await me(event.id, 'c')).json()).toEqual({
      state: 'waiting',
      position: 3,
      ahead: 1,
      etaSeconds: expect.any(Number),
      retryAfterMs: 500,
    });
    // A joiner after the opening is answered with a position at once.
    expect((await join(event.id, 'd')).json()).toMatchObject({ state: 'waiting', position: 4, ahead: 2 });

    // The turn began longer than tokenTtl ago (the log rewritten as if it had): expired.
    const pool = layoutOf(event.id, event.shards).pool;
    await r.redis.del(pool.queueWindowLog);
    await r.redis.rPush(pool.queueWindowLog, `${Date.now() - 120_000}:1`);
    expect(await meOnce(event.id, 'a', 'expired')).toEqual({ state: 'expired', position: 1 });

    // The stock goes: everyone still waiting hears it, and no one joins any more.
    const admitted = await r.gate.admitClaim({ eventId: event.id, userId: 'a', claimId: randomId('c') });
    expect(admitted.kind).toBe('ADMITTED');
    expect(await meOnce(event.id, 'c', 'sold_out')).toEqual({ state: 'sold_out', position: 3 });
    expect((await join(event.id, 'e')).json()).toMatchObject({ error: 'sold_out' });

    const closed = await app.inject({ method: 'POST', url: `/admin/events/${event.id}/close`, headers: admin });
    expect(closed.statusCode).toBe(200);
    expect(await meOnce(event.id, 'c', 'ended')).toEqual({ state: 'ended', position: 3 });
    expect((await join(event.id, 'e')).json()).toMatchObject({ error: 'ended' });
  });

  it("refuses a queued claim with a missing, forged, expired, other user's or other event's token, admitting nothing", async () => {
    const queue = { prequeueAt: inMs(-60_000), admitPerSecond: 10 };
    const event = await createEvent({ stock: 5, startsAt: inMs(-1000), queue });
    const other = await createEvent({ stock: 5, startsAt: inMs(-1000), queue });
    const now = Date.now();
    const tokenFor = (signer: AdmissionTokens, eventId: string, userId: string, expiresAtMs = now + 60_000) =>
      signer.sign({ eventId, userId, jti: jtiOf(eventId, userId, 'seed'), notBeforeMs: now - 1000, expiresAtMs });
    const claim = (userId: string, token?: string) =>
      app.inject({
        method: 'POST',
        url: `/events/${event.id}/claims`,
        headers: { 'x-user-id': userId, ...(token ? { 'x-admission-token': token } : {}) },
      });
    const forger = createAdmissionTokens([generateAdmissionKey()]);
    const refusals: Array<[string | undefined, number, string]> = [
      [undefined, 401, 'unauthenticated'],
      [await tokenFor(forger, event.id, 'ann'), 401, 'unauthenticated'],
      [await tokenFor(tokens, event.id, 'ann', now - 30_000), 401, 'unauthenticated'],
      [await tokenFor(tokens, event.id, 'bob'), 403, 'forbidden'],
      [await tokenFor(tokens, other.id, 'ann'), 403, 'forbidden'],
    ];
    for (const [token, status, error] of refusals) {
      const answer = await claim('ann', token);
      expect([answer.statusCode, answer.json<{ error: string }>().error]).toEqual([status, error]);
    }
    expect((await r.gate.readFigures(event.id))?.admitted).toBe(0);
    expect((await claim('ann', await tokenFor(tokens, event.id, 'ann'))).statusCode).toBe(202);
    expect((await r.gate.readFigures(event.id))?.admitted).toBe(1);
  });
});
