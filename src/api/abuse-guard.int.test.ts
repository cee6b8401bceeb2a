import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, randomId } from '../../test/fixtures/basics.ts';
import { buildTestApp } from '../../test/fixtures/app.ts';
import { unreachableGate, useDatabase, usePrivateRedis } from '../../test/fixtures/datastores.ts';
import { type AppError, isAppError } from '../errors.ts';
import { createGateHandle, type GateHandle } from '../gate/open-gate.ts';
import { connectRedis, createRedis } from '../gate/redis.ts';
import { createMetrics, type Metrics } from '../metrics.ts';
import { createAbuseGuard } from './abuse-guard.ts';
import { createClientAddress } from './client-address.ts';

/** A window far longer than any test: what a test spends never refills under it, however slow the machine. */
const windowSeconds = 600;
const admin = { authorization: `Bearer ${adminToken}` };
const clientAddressOf = createClientAddress({});

/** A guard as one API process builds it, with buckets of its own names so tests never share an allowance. */
function guardOn(gate: GateHandle, metrics: Metrics, limits: { user?: number; ip?: number }) {
  const downs: AppError[] = [];
  const bucketsOf = (points: number | undefined) =>
    points === undefined ? undefined : gate.createRateBuckets({ name: randomId('test'), points, windowSeconds });
  const guard = createAbuseGuard({
    userBuckets: bucketsOf(limits.user),
    addressBuckets: bucketsOf(limits.ip),
    clientAddressOf,
    metrics,
    onBucketsDown: (error) => downs.push(error),
  });
  return { guard, downs };
}

const refusals = async (metrics: Metrics, reason: string) =>
  (await metrics.queueRefusals.get()).values.find((value) => value.labels.reason === reason)?.value ?? 0;

/** A request from `client` through a trusted proxy on loopback (the default TRUSTED_PROXIES). */
const from = (client: string) => ({
  headers: { 'x-forwarded-for': client },
  raw: { rawHeaders: [] },
  socket: { remoteAddress: '127.0.0.1' },
});

describe('the abuse guard', () => {
  const t = useDatabase();
  // A Redis of its own: the buckets' keys last as long as the test window.
  const r = usePrivateRedis();
  let otherProcess: GateHandle;
  beforeAll(async () => {
    otherProcess = createGateHandle(await connectRedis(createRedis(r.options), () => undefined));
  });
  afterAll(async () => otherProcess.close());

  it('answers 429 rate_limited with Retry-After once a user spent their claims, and admits nothing then', async () => {
    const metrics = createMetrics();
    const bucketName = randomId('test');
    const guard = createAbuseGuard({
      userBuckets: r.gate.createRateBuckets({ name: bucketName, points: 2, windowSeconds }),
      clientAddressOf,
      metrics,
      onBucketsDown: () => undefined,
    });
    const app: FastifyInstance = buildTestApp(t.store, r.gate, { abuseGuard: guard, metrics });
    try {
      const id = r.eventId();
      const created = await app.inject({
        method: 'POST',
        url: '/admin/events',
        headers: admin,
        payload: { id, name: 'Guarded drop', stock: 10, perUserLimit: 5 },
      });
      expect(created.statusCode).toBe(201);
      const claim = () => app.inject({ method: 'POST', url: `/events/${id}/claims`, headers: { 'x-user-id': 'ann' } });
      expect((await claim()).statusCode).toBe(202);
      expect((await claim()).statusCode).toBe(202);
      const limited = await claim();
      expect(limited.statusCode).toBe(429);
      expect(limited.json()).toMatchObject({ error: 'rate_limited' });
      const retryAfter = Number(limited.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
      expect((await r.gate.readFigures(id))?.admitted).toBe(2);
      expect(await refusals(metrics, 'rate_limited_user')).toBe(1);
      // Another user of the same address is not held back by ann's bucket.
      const other = await app.inject({ method: 'POST', url: `/events/${id}/claims`, headers: { 'x-user-id': 'bo' } });
      expect(other.statusCode).toBe(202);
    } finally {
      await app.close();
    }
  });

  it("shares a user's allowance between API processes, and counts each route apart", async () => {
    const metrics = createMetrics();
    const name = randomId('test');
    const here = createAbuseGuard({
      userBuckets: r.gate.createRateBuckets({ name, points: 3, windowSeconds }),
      clientAddressOf,
      metrics,
      onBucketsDown: () => undefined,
    });
    const there = createAbuseGuard({
      userBuckets: otherProcess.createRateBuckets({ name, points: 3, windowSeconds }),
      clientAddressOf,
      metrics,
      onBucketsDown: () => undefined,
    });
    const request = from('203.0.113.1');
    await here.check(request, 'cy', 'poll');
    await there.check(request, 'cy', 'poll');
    await here.check(request, 'cy', 'poll');
    const error: unknown = await there.check(request, 'cy', 'poll').catch((e: unknown) => e);
    expect(isAppError(error, 'RATE_LIMITED')).toBe(true);
    expect((error as AppError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    await expect(there.check(request, 'cy', 'claim')).resolves.toBeUndefined();
  });

  it('limits an address across the users it signs in as, the address behind trusted proxies', async () => {
    const metrics = createMetrics();
    const { guard } = guardOn(r.gate, metrics, { ip: 3, user: 100 });
    const bot = from('203.0.113.9');
    for (const user of ['u1', 'u2', 'u3']) await guard.check(bot, user, 'join');
    const error: unknown = await guard.check(bot, 'u4', 'join').catch((e: unknown) => e);
    expect(isAppError(error, 'RATE_LIMITED')).toBe(true);
    expect(await refusals(metrics, 'rate_limited_ip')).toBe(1);
    expect(await refusals(metrics, 'rate_limited_user')).toBe(0);
    await expect(guard.check(from('203.0.113.10'), 'u4', 'join')).resolves.toBeUndefined();
  });

  it('lets requests through while the buckets cannot be counted (Redis down), and says so', async () => {
    const gate = await unreachableGate();
    const { guard, downs } = guardOn(gate, createMetrics(), { ip: 1, user: 1 });
    await guard.check(from('203.0.113.11'), 'dee', 'join');
    await guard.check(from('203.0.113.11'), 'dee', 'join');
    expect(downs.length).toBeGreaterThan(0);
    expect(downs.every((error) => isAppError(error, 'GATE_UNAVAILABLE'))).toBe(true);
  });
});
