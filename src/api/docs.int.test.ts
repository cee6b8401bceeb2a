import { Ajv } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken } from '../../test/fixtures/basics.ts';
import { useDatabase, useRedis } from '../../test/fixtures/datastores.ts';
import { buildTestApp } from '../../test/fixtures/app.ts';
import type { FastifyInstance } from 'fastify';

interface OpenApiDocument {
  openapi: string;
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>
  >;
}

// ajv-formats is CommonJS; its default export arrives wrapped under Node's ESM loader.
const addFormats = addFormatsPlugin as unknown as typeof addFormatsPlugin.default;

/** CONTRACT.md's HTTP API, plus the dashboard's own: its stream, its hour of history, its failed-claims panel. */
const contractRoutes = [
  'GET /healthz',
  'GET /readyz',
  'GET /metrics',
  'GET /.well-known/jwks.json',
  'GET /events/{id}',
  'POST /events/{id}/claims',
  'GET /events/{id}/claims/me',
  'POST /admin/events',
  'PATCH /admin/events/{id}',
  'GET /admin/events',
  'GET /admin/events/{id}',
  'POST /admin/events/{id}/close',
  'GET /admin/stream/events/{id}',
  'GET /admin/events/{id}/history',
  'GET /admin/events/{id}/failed-claims',
  'POST /admin/events/{id}/failed-claims/retry',
];

describe('OpenAPI at /docs', () => {
  const t = useDatabase();
  const r = useRedis();
  let app: FastifyInstance;
  let doc: OpenApiDocument;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);

  beforeAll(async () => {
    app = buildTestApp(t.store, r.gate);
    const response = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    doc = response.json<OpenApiDocument>();
  });
  afterAll(async () => app.close());

  /** The answer's status is documented for the route, and its body matches the documented schema. */
  function expectDocumented(route: string, response: LightMyRequestResponse, status: number): void {
    expect(response.statusCode, `${route}: ${response.body}`).toBe(status);
    const [method = '', path = ''] = route.split(' ');
    const documented = doc.paths[path]?.[method.toLowerCase()]?.responses[String(status)];
    expect(documented, `${route} documents ${status}`).toBeDefined();
    // Every answer has a body: the document must describe it, in the media type the answer has.
    const [mediaType = ''] = String(response.headers['content-type'] ?? '').split(';');
    const body = documented?.content?.[mediaType];
    expect(body, `${route} ${status} documents its ${mediaType || 'untyped'} body`).toBeDefined();
    const validate = ajv.compile(body!.schema);
    const value: unknown = mediaType === 'application/json' ? response.json() : response.body;
    expect(validate(value), `${route} ${status}: ${ajv.errorsText(validate.errors)}`).toBe(true);
  }

  const admin = { authorization: `Bearer ${adminToken}` };
  const call = (
    method: 'GET' | 'POST' | 'PATCH',
    url: string,
    headers: Record<string, string> = {},
    payload?: object,
  ) => app.inject({ method, url, headers, ...(payload ? { payload } : {}) });

  it("documents exactly the routes of CONTRACT.md and the dashboard's, and serves the UI", async () => {
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual([...contractRoutes].sort());
    const ui = await call('GET', '/docs/');
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toMatch(/text\/html/);
  });

  it('matches the real answers of every route, errors included', async () => {
    const id = r.eventId();
    expectDocumented('GET /healthz', await call('GET', '/healthz'), 200);
    expectDocumented('GET /readyz', await call('GET', '/readyz'), 200);
    expectDocumented('GET /metrics', await call('GET', '/metrics'), 200);
    expectDocumented('GET /.well-known/jwks.json', await call('GET', '/.well-known/jwks.json'), 200);

    const create = { id, name: 'Docs drop', stock: 2, perUserLimit: 1 };
    expectDocumented('POST /admin/events', await call('POST', '/admin/events', admin, create), 201);
    expectDocumented('POST /admin/events', await call('POST', '/admin/events', admin, create), 409);
    expectDocumented('POST /admin/events', await call('POST', '/admin/events', admin, { ...create, stock: 0 }), 400);
    expectDocumented('POST /admin/events', await call('POST', '/admin/events', {}, create), 401);

    const scheduled = { ...create, id: r.eventId(), startsAt: new Date(Date.now() + 3_600_000).toISOString() };
    expect((await call('POST', '/admin/events', admin, scheduled)).statusCode).toBe(201);
    const queue = { prequeueAt: new Date().toISOString(), admitPerSecond: 10 };
    const patch = (eventId: string, body: object) => call('PATCH', `/admin/events/${eventId}`, admin, body);
    expectDocumented('PATCH /admin/events/{id}', await patch(scheduled.id, { queue }), 200);
    expectDocumented('PATCH /admin/events/{id}', await patch(scheduled.id, { queue: { admitPerSecond: 1 } }), 400);
    const started = { ...create, id: r.eventId(), startsAt: new Date(Date.now() - 1000).toISOString() };
    expect((await call('POST', '/admin/events', admin, started)).statusCode).toBe(201);
    expectDocumented('PATCH /admin/events/{id}', await patch(started.id, { queue: null }), 409);
    expectDocumented('PATCH /admin/events/{id}', await patch(r.eventId(), { queue: null }), 404);

    expectDocumented('GET /events/{id}', await call('GET', `/events/${id}`), 200);
    expectDocumented('GET /events/{id}', await call('GET', `/events/${r.eventId()}`), 404);

    const claim = (user?: string) => call('POST', `/events/${id}/claims`, user ? { 'x-user-id': user } : {});
    expectDocumented('POST /events/{id}/claims', await claim('ann'), 202);
    expectDocumented('POST /events/{id}/claims', await claim('ann'), 409);
    expectDocumented('POST /events/{id}/claims', await claim(), 401);
    expectDocumented(
      'GET /events/{id}/claims/me',
      await call('GET', `/events/${id}/claims/me`, { 'x-user-id': 'ann' }),
      200,
    );
    expectDocumented('GET /events/{id}/claims/me', await call('GET', `/events/${id}/claims/me`), 401);

    expectDocumented('GET /admin/events', await call('GET', '/admin/events', admin), 200);
    expectDocumented('GET /admin/events', await call('GET', '/admin/events'), 401);
    expectDocumented('GET /admin/events/{id}', await call('GET', `/admin/events/${id}`, admin), 200);
    expectDocumented('GET /admin/events/{id}', await call('GET', `/admin/events/${r.eventId()}`, admin), 404);
    expectDocumented('GET /admin/stream/events/{id}', await call('GET', `/admin/stream/events/${id}`), 401);
    expectDocumented(
      'GET /admin/stream/events/{id}',
      await call('GET', `/admin/stream/events/${r.eventId()}`, admin),
      404,
    );

    expectDocumented('POST /admin/events/{id}/close', await call('POST', `/admin/events/${id}/close`, admin), 200);
    expectDocumented(
      'POST /admin/events/{id}/close',
      await call('POST', `/admin/events/${r.eventId()}/close`, admin),
      404,
    );
    const ended = await claim('bob');
    expectDocumented('POST /events/{id}/claims', ended, 409);
    expect(ended.json()).toMatchObject({ error: 'ended' });
  });
});
