import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, freePort } from '../../test/fixtures/basics.ts';
import { useDatabase, useRedis } from '../../test/fixtures/datastores.ts';
import { buildTestApp } from '../../test/fixtures/app.ts';
import type { AdminAddress } from './admin-listener.ts';

const admin = { authorization: `Bearer ${adminToken}` };

/** The operators' routes of CONTRACT.md (Production), with an answer each gives on its own listener. */
const adminRoutes = (eventId: string) => [
  { method: 'GET', path: '/admin/events', headers: admin },
  { method: 'GET', path: `/admin/events/${eventId}`, headers: admin },
  { method: 'GET', path: '/metrics' },
  { method: 'GET', path: '/docs' },
  { method: 'GET', path: '/docs/json' },
  { method: 'GET', path: '/dashboard' },
  { method: 'GET', path: '/dashboard/index.html' },
];

const publicRoutes = (eventId: string) => [
  { method: 'GET', path: `/events/${eventId}` },
  { method: 'GET', path: `/events/${eventId}/claims/me`, headers: { 'x-user-id': 'alice' } },
  // The shoppers' waiting page is theirs, not the operators'.
  { method: 'GET', path: `/wait/${eventId}` },
  { method: 'GET', path: '/wait/assets/page.js' },
];

const healthRoutes = [
  { method: 'GET', path: '/healthz' },
  { method: 'GET', path: '/readyz' },
];

describe('the API on two listeners (ADMIN_PORT)', () => {
  const t = useDatabase();
  const r = useRedis();
  let id = '';
  const apps: FastifyInstance[] = [];
  // A built waiting page stand-in: the routes, not the build, are under test here.
  const waitingPageDir = mkdtempSync(join(tmpdir(), 'firstcome-waiting-page-'));
  mkdirSync(join(waitingPageDir, 'assets'));
  writeFileSync(join(waitingPageDir, 'index.html'), '<!doctype html><title>wait</title>');
  writeFileSync(join(waitingPageDir, 'assets/page.js'), 'export {};');

  /** The app listening as `serve` makes it listen: the public port, and the admin one when given. */
  async function listen(adminAddress?: AdminAddress) {
    const app = buildTestApp(t.store, r.gate, { adminAddress, waitingPageDir });
    apps.push(app);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const publicUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const send =
      (base: string) => async (route: { method: string; path: string; headers?: Record<string, string> }) => {
        const response = await fetch(`${base}${route.path}`, { ...route, redirect: 'manual' });
        await response.arrayBuffer();
        return response.status;
      };
    return {
      publicUrl,
      onPublic: send(publicUrl),
      onAdmin: adminAddress && send(`http://127.0.0.1:${adminAddress.port}`),
    };
  }

  beforeAll(async () => {
    const created = await buildTestApp(t.store, r.gate).inject({
      method: 'POST',
      url: '/admin/events',
      headers: admin,
      payload: { id: (id = r.eventId()), name: 'two listeners', stock: 5 },
    });
    expect(created.statusCode).toBe(201);
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    rmSync(waitingPageDir, { recursive: true, force: true });
  });

  it('answers the admin routes, dashboard, docs and metrics only on the admin port; claims only on the public one', async () => {
    const { onPublic, onAdmin } = await listen({ port: await freePort(), host: '127.0.0.1' });
    for (const route of adminRoutes(id)) {
      expect([route.path, await onPublic(route)]).toEqual([route.path, 404]);
      expect([route.path, await onAdmin!(route)]).not.toEqual([route.path, 404]);
    }
    for (const route of publicRoutes(id)) {
      expect([route.path, await onPublic(route)]).toEqual([route.path, 200]);
      expect([route.path, await onAdmin!(route)]).toEqual([route.path, 404]);
    }
    for (const route of healthRoutes) {
      expect([route.path, await onPublic(route), await onAdmin!(route)]).toEqual([route.path, 200, 200]);
    }
    const claimed = await onPublic({ method: 'POST', path: `/events/${id}/claims`, headers: { 'x-user-id': 'bob' } });
    expect(claimed).toBe(202);
  });

  it('says 404 on the public port in the contract shape, as for a route that does not exist', async () => {
    const { publicUrl } = await listen({ port: await freePort(), host: '127.0.0.1' });
    const response = await fetch(`${publicUrl}/admin/events`, { headers: admin });
    expect([response.status, await response.json()]).toEqual([
      404,
      { error: 'not_found', message: 'No route for GET /admin/events.' },
    ]);
  });

  it('answers what the HTTP parser refuses with 400 invalid_request on the admin port too', async () => {
    const adminPort = await freePort();
    await listen({ port: adminPort, host: '127.0.0.1' });
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(adminPort, '127.0.0.1', () => socket.write('GET /metrics NOT-HTTP\r\nHost: x\r\n\r\n'));
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
      socket.once('error', reject);
      socket.once('close', () => resolve(received));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer).toContain('"error":"invalid_request"');
  });

  it('answers everything on the one port without ADMIN_PORT, as before', async () => {
    const { onPublic } = await listen();
    for (const route of [...adminRoutes(id), ...publicRoutes(id), ...healthRoutes]) {
      expect([route.path, await onPublic(route)]).not.toEqual([route.path, 404]);
    }
  });

  it('fails to start when the admin port is taken, and says which', async () => {
    const { publicUrl } = await listen();
    const taken = Number(new URL(publicUrl).port);
    const app = buildTestApp(t.store, r.gate, { adminAddress: { port: taken, host: '127.0.0.1' } });
    await expect(app.listen({ port: 0, host: '127.0.0.1' })).rejects.toThrow(/EADDRINUSE.*:\d+/);
    await app.close();
  });
});
