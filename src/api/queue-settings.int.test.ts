import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { adminToken } from '../../test/fixtures/basics.ts';
import { useDatabase, usePrivateRedis } from '../../test/fixtures/datastores.ts';
import { testedStoreKinds } from '../../test/fixtures/databases.ts';
import { buildTestApp } from '../../test/fixtures/app.ts';

const admin = { authorization: `Bearer ${adminToken}` };
const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();

describe.each(testedStoreKinds())("an event's queue settings, on %s", (kind) => {
  const t = useDatabase(kind);
  const r = usePrivateRedis();
  let app: FastifyInstance;

  beforeAll(() => {
    app = buildTestApp(t.store, r.gate);
  });
  afterAll(async () => app.close());

  const create = (body: Record<string, unknown>) =>
    app.inject({ method: 'POST', url: '/admin/events', headers: admin, payload: { name: 'Drop', stock: 5, ...body } });
  const patch = (id: string, payload: unknown) =>
    app.inject({ method: 'PATCH', url: `/admin/events/${id}`, headers: admin, payload: payload as object });

  it('creates an event with a queue and shows its settings, the defaults filled in', async () => {
    const id = r.eventId();
    const startsAt = inMs(3_600_000);
    const prequeueAt = inMs(60_000);
    const created = await create({ id, startsAt, queue: { prequeueAt, admitPerSecond: 200 } });
    expect(created.statusCode).toBe(201);
    const queue = { prequeueAt, admitPerSecond: 200, maxActive: null, tokenTtlSeconds: 300, seed: null };
    expect(created.json()).toMatchObject({ id, queue });
    expect((await app.inject({ method: 'GET', url: `/admin/events/${id}`, headers: admin })).json()).toMatchObject({
      queue,
    });
    expect((await app.inject({ method: 'GET', url: `/events/${id}` })).json()).toMatchObject({
      queue: { prequeueAt, admitPerSecond: 200 },
    });
    expect((await t.store.listQueuedEvents(new Date())).map((e) => e.id)).toContain(id);
  });

  it('refuses a queue without an opening, opening joins after the start, or out of range, and stores nothing', async () => {
    const startsAt = inMs(3_600_000);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ queue: { prequeueAt: inMs(0), admitPerSecond: 10 } }, 'startsAt'],
      [{ startsAt, queue: { prequeueAt: inMs(7_200_000), admitPerSecond: 10 } }, 'prequeueAt'],
      [{ startsAt, queue: { prequeueAt: inMs(0), admitPerSecond: 0 } }, 'admitPerSecond'],
      [{ startsAt, queue: { prequeueAt: inMs(0), admitPerSecond: 5, tokenTtlSeconds: 5 } }, 'tokenTtlSeconds'],
      [{ startsAt, queue: { prequeueAt: inMs(0), admitPerSecond: 5, maxActive: 0 } }, 'maxActive'],
      [{ startsAt, queue: { prequeueAt: inMs(0), admitPerSecond: 5, colour: 'red' } }, 'colour'],
    ];
    for (const [body, field] of cases) {
      const id = r.eventId();
      const answer = await create({ id, ...body });
      expect(answer.statusCode, field).toBe(400);
      expect(answer.json<{ message: string }>().message).toContain(field);
      expect(await t.store.findEvent(id)).toBeUndefined();
    }
  });

  it('changes and removes the queue of a scheduled event, and refuses to once it is about to start', async () => {
    const id = r.eventId();
    expect((await create({ id, startsAt: inMs(3_600_000) })).statusCode).toBe(201);
    const prequeueAt = inMs(1000);
    const added = await patch(id, { queue: { prequeueAt, admitPerSecond: 50, maxActive: 100, tokenTtlSeconds: 60 } });
    expect(added.statusCode).toBe(200);
    expect(added.json()).toMatchObject({
      queue: { prequeueAt, admitPerSecond: 50, maxActive: 100, tokenTtlSeconds: 60 },
    });
    expect((await t.store.findEvent(id))?.queue).toMatchObject({ admitPerSecond: 50, maxActive: 100 });

    const removed = await patch(id, { queue: null });
    expect(removed.json()).toMatchObject({ queue: null });
    expect((await t.store.findEvent(id))?.queue).toBeNull();

    const soon = r.eventId();
    expect((await create({ id: soon, startsAt: inMs(2000) })).statusCode).toBe(201);
    const late = await patch(soon, { queue: { prequeueAt: inMs(0), admitPerSecond: 5 } });
    expect(late.statusCode).toBe(409);
    expect(late.json()).toMatchObject({ error: 'event_started' });
    expect((await t.store.findEvent(soon))?.queue).toBeNull();

    expect((await patch(r.eventId(), { queue: null })).statusCode).toBe(404);
    expect((await patch(id, {})).statusCode).toBe(400);
  });

  it('keeps the first seed revealed, and lists only queued events that have not ended', async () => {
    const id = r.eventId();
    const closed = r.eventId();
    const queue = { prequeueAt: inMs(0), admitPerSecond: 5 };
    expect((await create({ id, startsAt: inMs(60_000), queue })).statusCode).toBe(201);
    expect((await create({ id: closed, startsAt: inMs(60_000), queue })).statusCode).toBe(201);
    await t.store.closeEvent(closed);
    await t.store.revealQueueSeed(id, 'first');
    await t.store.revealQueueSeed(id, 'second');
    expect((await t.store.findEvent(id))?.queue?.seed).toBe('first');
    const listed = (await t.store.listQueuedEvents(new Date())).map((e) => e.id);
    expect(listed).toContain(id);
    expect(listed).not.toContain(closed);
  });

  it('shows the queue figures to operators: joined, the window, tokens and refusals', async () => {
    const id = r.eventId();
    const queue = { prequeueAt: inMs(0), admitPerSecond: 5 };
    expect((await create({ id, startsAt: inMs(60_000), queue })).statusCode).toBe(201);
    for (const user of ['ann', 'bob', 'cat']) {
      const joined = await app.inject({ method: 'POST', url: `/events/${id}/queue`, headers: { 'x-user-id': user } });
      expect(joined.statusCode).toBe(202);
    }
    const view = await app.inject({ method: 'GET', url: `/admin/events/${id}`, headers: admin });
    expect(view.json()).toMatchObject({
      queue: { figures: { joined: 3, window: 0, tokensIssued: 0, tokensUsed: 0, refusals: expect.any(Object) } },
    });
  });
});
