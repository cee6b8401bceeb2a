import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, freePort, randomId, waitFor } from './fixtures/basics.ts';
import { startPrivateRedis, useDatabase } from './fixtures/datastores.ts';
import { type FirstcomeProcess, spawnFirstcome } from './fixtures/processes.ts';

/** One request on a connection of its own, so that the primary hands it to the next API process in turn. */
const send = (url: string, method = 'GET', headers: Record<string, string> = {}) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const outgoing = request(url, { method, headers, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });

const sampleOf = (text: string, series: string) =>
  Number(
    text
      .split('\n')
      .find((line) => line.startsWith(`${series} `))
      ?.slice(series.length + 1),
  );

describe('firstcome serve --workers 2 with ADMIN_PORT', () => {
  const t = useDatabase();
  let redis: Awaited<ReturnType<typeof startPrivateRedis>> | undefined;
  let serve: FirstcomeProcess | undefined;
  let publicUrl = '';
  let adminUrl = '';

  beforeAll(async () => {
    redis = await startPrivateRedis();
    const [port, adminPort] = [await freePort(), await freePort()];
    publicUrl = `http://127.0.0.1:${port}`;
    adminUrl = `http://127.0.0.1:${adminPort}`;
    serve = spawnFirstcome(['serve', '--workers', '2'], {
      REDIS_URL: redis.url,
      DATABASE_URL: t.url,
      PORT: String(port),
      ADMIN_PORT: String(adminPort),
    });
    await waitFor('both API processes on the admin port', async () => {
      if (serve!.child.exitCode !== null) throw new Error(`serve exited: ${serve!.output()}`);
      const { status, body } = await send(`${adminUrl}/metrics`);
      return status === 200 && sampleOf(body, 'firstcome_api_processes') === 2;
    });
  });
  afterAll(async () => {
    await serve?.kill('SIGKILL');
    await redis?.stop();
  });

  it('takes claims on the public port and counts those of both processes on the admin port’s /metrics', async () => {
    const admin = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
    const eventId = randomId('ev');
    const body = JSON.stringify({ id: eventId, name: 'admin port', stock: 10 });
    const onPublic = await fetch(`${publicUrl}/admin/events`, { method: 'POST', headers: admin, body });
    expect(onPublic.status).toBe(404);
    const created = await fetch(`${adminUrl}/admin/events`, { method: 'POST', headers: admin, body });
    expect(created.status).toBe(201);

    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      statuses.push((await send(`${publicUrl}/events/${eventId}/claims`, 'POST', { 'x-user-id': `u${i}` })).status);
    }
    expect(statuses.filter((status) => status === 202)).toHaveLength(10);

    expect((await send(`${publicUrl}/metrics`)).status).toBe(404);
    const metrics = (await send(`${adminUrl}/metrics`)).body;
    expect(sampleOf(metrics, 'firstcome_claims_total{outcome="admitted"}')).toBe(10);
    expect(sampleOf(metrics, 'firstcome_claims_total{outcome="sold_out"}')).toBe(10);
    for (const slot of [1, 2]) {
      expect(sampleOf(metrics, `firstcome_api_process_claims_total{process="${slot}"}`)).toBeGreaterThan(0);
    }
    expect((await send(`${adminUrl}/events/${eventId}/claims`, 'POST', { 'x-user-id': 'late' })).status).toBe(404);
    for (const base of [publicUrl, adminUrl]) expect((await send(`${base}/healthz`)).status).toBe(200);
  });
});
