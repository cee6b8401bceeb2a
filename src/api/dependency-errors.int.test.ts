import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken } from '../../test/fixtures/basics.ts';
import { testedStoreKinds } from '../../test/fixtures/databases.ts';
import { useDatabase, usePrivateRedis } from '../../test/fixtures/datastores.ts';
import { buildTestApp } from '../../test/fixtures/app.ts';
import { startTcpProxy } from '../../test/fixtures/processes.ts';
import { createStore, type Store } from '../store/store.ts';

const admin = { authorization: `Bearer ${adminToken}` };
const asUser = (userId: string) => ({ 'x-user-id': userId });

type Call = { method: 'GET' | 'POST'; url: string; headers?: Record<string, string>; payload?: object };

/** The same database, reached another way: through `port`, or with `query` added to the URL. */
const databaseUrl = (url: string, { port, query }: { port?: number; query?: Record<string, string> }) => {
  const changed = new URL(url);
  if (port !== undefined) changed.port = String(port);
  for (const [name, value] of Object.entries(query ?? {})) changed.searchParams.set(name, value);
  return changed.toString();
};

describe.each(testedStoreKinds())(
  'promise 5: 503 unavailable while %s is unreachable, on every route that needs it',
  (kind) => {
    const t = useDatabase(kind);
    const r = usePrivateRedis();
    let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
    let store: Store;
    let app: FastifyInstance;

    beforeAll(async () => {
      const { hostname, port } = new URL(t.url);
      proxy = await startTcpProxy({ host: hostname, port: Number(port) });
      store = createStore({ url: databaseUrl(t.url, { port: proxy.port }), poolSize: 2 });
      app = buildTestApp(store, r.gate);
    });
    afterAll(async () => {
      await app?.close();
      await proxy?.restore();
      await store?.destroy();
      await proxy?.cut();
    });

    const call = ({ method, url, headers = {}, payload }: Call) =>
      app.inject({ method, url, headers, ...(payload ? { payload } : {}) });

    const expectUnavailable = (route: string, response: LightMyRequestResponse) => {
      expect([route, response.statusCode, response.json()]).toEqual([
        route,
        503,
        { error: 'unavailable', message: expect.any(String) },
      ]);
    };

    it('answers 503 on the admin routes, the uncached event, the user’s claims, readyz, and a claim the gate must load, admitting nothing', async () => {
      // Made while the database answers: `known` is in this process's catalog and the gate, `uncached` only in
      // the database and the gate (another process made it), `lost` in the database only (Redis lost it).
      const [known, uncached, lost] = [r.eventId(), r.eventId(), r.eventId()];
      const create = (id: string) =>
        call({ method: 'POST', url: '/admin/events', headers: admin, payload: { id, name: 'x', stock: 5 } });
      expect((await create(known)).statusCode).toBe(201);
      const other = buildTestApp(t.store, r.gate);
      try {
        for (const id of [uncached, lost]) {
          const created = await other.inject({
            method: 'POST',
            url: '/admin/events',
            headers: admin,
            payload: { id, name: 'x', stock: 5 },
          });
          expect(created.statusCode).toBe(201);
        }
      } finally {
        await other.close();
      }
      expect((await call({ method: 'POST', url: `/events/${known}/claims`, headers: asUser('ann') })).statusCode).toBe(
        202,
      );
      await r.loseEvent(lost);
      const gateBefore = await r.gate.readTickets(known);

      await proxy.cut();
      try {
        const routes: Array<[string, Call]> = [
          [
            'POST /admin/events',
            { method: 'POST', url: '/admin/events', headers: admin, payload: { id: r.eventId(), name: 'x', stock: 1 } },
          ],
          ['GET /admin/events', { method: 'GET', url: '/admin/events', headers: admin }],
          ['GET /admin/events/:id', { method: 'GET', url: `/admin/events/${known}`, headers: admin }],
          ['POST /admin/events/:id/close', { method: 'POST', url: `/admin/events/${known}/close`, headers: admin }],
          ['GET /events/:id (not cached)', { method: 'GET', url: `/events/${uncached}` }],
          ['GET /events/:id/claims/me', { method: 'GET', url: `/events/${known}/claims/me`, headers: asUser('ann') }],
          [
            'POST /events/:id/claims (not in the gate)',
            { method: 'POST', url: `/events/${lost}/claims`, headers: asUser('bob') },
          ],
        ];
        for (const [route, request] of routes) expectUnavailable(route, await call(request));
        // The contract: a claim's 503 tells the client when to try again.
        const claim = await call({ method: 'POST', url: `/events/${lost}/claims`, headers: asUser('bob') });
        expect([claim.statusCode, claim.headers['retry-after']]).toEqual([503, expect.stringMatching(/^\d+$/)]);
        const ready = await call({ method: 'GET', url: '/readyz' });
        expect([ready.statusCode, ready.json()]).toEqual([
          503,
          { error: 'unavailable', message: expect.any(String), checks: { redis: 'ok', postgres: 'down' } },
        ]);

        // Nothing was admitted or changed: the lost event is still not in the gate, `known` is as it was
        // (not ended by the close that failed), and its claims still go through the gate alone.
        expect(await r.gate.readFigures(lost)).toBeUndefined();
        expect((await r.gate.readOutboxFigures(lost)).length).toBe(0);
        expect(await r.gate.readTickets(known)).toEqual(gateBefore);
        expect(
          (await call({ method: 'POST', url: `/events/${known}/claims`, headers: asUser('cat') })).statusCode,
        ).toBe(202);
      } finally {
        await proxy.restore();
      }

      // Back: the refused requests left no trace in the database either.
      const events = (await call({ method: 'GET', url: '/admin/events', headers: admin })).json<{
        events: Array<{ id: string }>;
      }>();
      expect(events.events.map((e) => e.id).sort()).toEqual([known, uncached, lost].sort());
      expect((await call({ method: 'GET', url: `/admin/events/${known}`, headers: admin })).json()).toMatchObject({
        state: 'open',
        admitted: 2,
      });
      const bob = await call({ method: 'POST', url: `/events/${lost}/claims`, headers: asUser('bob') });
      expect(bob.statusCode).toBe(202);
      expect((await r.gate.readFigures(lost))?.admitted).toBe(1);
    });
  },
);

describe('promise 5: a 500 answers the contract’s shape and leaks nothing', () => {
  const t = useDatabase();
  const r = usePrivateRedis();
  let store: Store;
  let app: FastifyInstance;

  beforeAll(() => {
    // A real unexpected error: the database answers, but every table is missing from the search path
    // (42P01, undefined_table), which is no outage and no refusal.
    store = createStore({
      url: databaseUrl(t.url, { query: { options: '-c search_path=no_such_schema' } }),
      poolSize: 1,
    });
    app = buildTestApp(store, r.gate);
  });
  afterAll(async () => {
    await app?.close();
    await store?.destroy();
  });

  it('answers 500 {"error":"internal"} with a fixed message: no stack, no database words, nothing admitted', async () => {
    const eventId = r.eventId();
    const answers = [
      await app.inject({ method: 'GET', url: `/events/${eventId}` }),
      await app.inject({ method: 'POST', url: `/events/${eventId}/claims`, headers: asUser('ann') }),
      await app.inject({ method: 'GET', url: '/admin/events', headers: admin }),
    ];
    for (const answer of answers) {
      expect(answer.statusCode).toBe(500);
      expect(answer.headers['content-type']).toMatch(/^application\/json/);
      expect(answer.json()).toEqual({ error: 'internal', message: 'Something went wrong on our side.' });
      for (const leak of [
        /\bat \S+ \(/,
        /\.ts\b/,
        /relation/i,
        /does not exist/,
        /no_such_schema/,
        /PostgreSQL/,
        /DB_/,
      ]) {
        expect(answer.body).not.toMatch(leak);
      }
    }
    expect(await r.gate.readFigures(eventId)).toBeUndefined();
    expect((await r.gate.readOutboxFigures(eventId)).length).toBe(0);
  });
});
