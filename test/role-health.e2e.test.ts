import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, freePort, randomId, waitFor } from './fixtures/basics.ts';
import { startPrivateRedis } from './fixtures/datastores.ts';
import { usePipeline } from './fixtures/pipeline.ts';
import { startTcpProxy } from './fixtures/processes.ts';

/** The status and body of a role's /healthz, once it answers at all. */
const readHealth = async (port: number) => {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
  return response && { status: response.status, body: (await response.json()) as Record<string, string> };
};

describe('relay and worker /healthz tell whether their loop turns', () => {
  let redis: Awaited<ReturnType<typeof startPrivateRedis>> | undefined;
  // Before usePipeline's hooks: the server is up before them, and stopped after their clean-up.
  beforeAll(async () => {
    redis = await startPrivateRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  const p = usePipeline(() => ({ LOOP_STALL_MS: '1000' }), { redis: () => ({ url: redis!.url }) });

  const healthOf = (role: string, port: number, status: number) =>
    waitFor(`${role} /healthz ${status}`, async () => {
      const health = await readHealth(port);
      return health?.status === status ? health.body : undefined;
    });

  it('relay: 503 with the reason while its Redis hangs, 200 again once it answers', async () => {
    p.processes.dumpOnFailure();
    const port = await freePort();
    p.spawn('relay', { METRICS_PORT: String(port) });
    // A claim it moved to Kafka shows its cycles turn.
    const eventId = randomId('ev');
    const admin = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
    const created = await fetch(`${p.api.baseUrl}/admin/events`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ id: eventId, name: 'health', stock: 1 }),
    });
    expect(created.status).toBe(201);
    const claimed = await fetch(`${p.api.baseUrl}/events/${eventId}/claims`, {
      method: 'POST',
      headers: { 'x-user-id': 'alice' },
    });
    expect(claimed.status).toBe(202);
    await waitFor('the relay to move the claim', async () => {
      const text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
        (r) => r.text(),
        () => '',
      );
      return /^firstcome_relay_claims_total 1$/m.test(text);
    });
    expect(await healthOf('relay', port, 200)).toEqual({ status: 'ok' });
    redis!.pause();
    try {
      expect(await healthOf('relay', port, 503)).toEqual({
        error: 'unavailable',
        message: expect.stringMatching(/^relay: a cycle \(outboxes to Kafka\) has not finished for [\d.]+s/),
      });
    } finally {
      redis!.resume();
    }
    expect(await healthOf('relay', port, 200)).toEqual({ status: 'ok' });
  });

  it('worker: 503 with the reason while Kafka cannot be reached, 200 once it can', async () => {
    p.processes.dumpOnFailure();
    const kafka = await startTcpProxy({ host: '127.0.0.1', port: 9092 });
    await kafka.cut();
    const port = await freePort();
    p.spawn('worker', { METRICS_PORT: String(port), KAFKA_BROKERS: `127.0.0.1:${kafka.port}` });
    try {
      expect(await healthOf('worker', port, 503)).toEqual({
        error: 'unavailable',
        message: expect.stringMatching(/^worker: reaching Kafka and the claims topic has not finished for [\d.]+s/),
      });
      await kafka.restore();
      expect(await healthOf('worker', port, 200)).toEqual({ status: 'ok' });
    } finally {
      await kafka.cut();
    }
  });
});
