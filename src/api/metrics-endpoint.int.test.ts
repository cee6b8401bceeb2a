import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Admin } from '@platformatic/kafka';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, randomId, repoRoot } from '../../test/fixtures/basics.ts';
import { buildTestApp } from '../../test/fixtures/app.ts';
import { unreachableGate, useDatabase, useKafkaTopics, usePrivateRedis } from '../../test/fixtures/datastores.ts';
import { createKafkaLag } from '../kafka/lag.ts';
import { createMetrics } from '../metrics.ts';

const brokers = ['127.0.0.1:9092'];

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (label values here hold no escaped quotes). */
function samplesOf(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-z_:][a-z0-9_:]*)(?:\{(.*)\})? (\S+)$/i.exec(line);
      if (!match) throw new Error(`not a sample line: ${line}`);
      const labels = Object.fromEntries(
        [...(match[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/gi)].map((m) => [m[1], m[2]]),
      );
      return { name: match[1]!, labels, value: Number(match[3]) };
    });
}

describe('GET /metrics: the figures that page someone', () => {
  const t = useDatabase('postgres');
  const r = usePrivateRedis();
  const topics = useKafkaTopics(brokers);
  let app: FastifyInstance;
  let topic: string;
  const groupId = randomId('firstcome-test-group');

  beforeAll(async () => {
    topic = topics.topic();
    const admin = new Admin({ clientId: 'firstcome-test', bootstrapBrokers: brokers });
    try {
      await admin.createTopics({ topics: [topic], partitions: 1, replicas: -1 });
    } finally {
      await admin.close();
    }
    const kafkaLag = createKafkaLag({ brokers, topic, groupId, maxAgeMs: 0 });
    app = buildTestApp(t.store, r.gate, { kafkaLag, metrics: createMetrics({ pool: t.store }) });
  });
  afterAll(async () => app.close());

  const scrape = async () => {
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    return samplesOf(response.body);
  };

  it('after a claim: the outbox per event, the broker-side lag, latency per route and status, the pool, the gate and the build', async () => {
    const eventId = r.eventId();
    const created = await app.inject({
      method: 'POST',
      url: '/admin/events',
      headers: { authorization: `Bearer ${adminToken}` },
      payload: { id: eventId, name: 'Metered drop', stock: 5 },
    });
    expect(created.statusCode).toBe(201);
    const claim = await app.inject({
      method: 'POST',
      url: `/events/${eventId}/claims`,
      headers: { 'x-user-id': 'u1' },
    });
    expect(claim.statusCode).toBe(202);
    await app.inject({ method: 'GET', url: `/no/such/path/${randomId('scan')}` });

    const samples = await scrape();
    const find = (name: string, labels: Record<string, string> = {}) =>
      samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

    // No relay drains this private Redis: the admitted claim waits in the outbox.
    expect(find('firstcome_outbox_length', { event: eventId }).map((s) => s.value)).toEqual([1]);
    expect(find('firstcome_kafka_group_lag').map((s) => s.labels)).toEqual([{ topic, group: groupId }]);
    expect(find('firstcome_kafka_group_lag')[0]!.value).toBeGreaterThanOrEqual(0);
    expect(find('firstcome_gate_up').map((s) => s.value)).toEqual([1]);

    const claims = find('firstcome_http_request_duration_seconds_count', {
      method: 'POST',
      route: '/events/:id/claims',
      status_code: '202',
    });
    expect(claims.map((s) => s.value)).toEqual([1]);
    expect(
      find('firstcome_http_request_duration_seconds_bucket', { route: '/events/:id/claims', le: '+Inf' }),
    ).toHaveLength(1);
    // Made-up paths share one series, so a scanner cannot make them grow; no series names an event id.
    expect(
      find('firstcome_http_request_duration_seconds_count', { route: 'unmatched', status_code: '404' }),
    ).toHaveLength(1);
    const routes = new Set(find('firstcome_http_request_duration_seconds_count').map((s) => s.labels.route));
    expect([...routes].filter((route) => route?.includes(eventId))).toEqual([]);

    const pool = find('firstcome_db_pool_connections');
    expect(pool.map((s) => s.labels.state).sort()).toEqual(['busy', 'idle', 'waiting']);
    expect(pool.every((s) => Number.isInteger(s.value) && s.value >= 0)).toBe(true);

    const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect(find('firstcome_build_info').map((s) => ({ ...s.labels, value: s.value }))).toEqual([
      { version, node_version: process.version, commit: expect.stringMatching(/^([0-9a-f]{7,40}|unknown)$/), value: 1 },
    ]);
  });

  it('says the gate is down when Redis does not answer, and then has no outbox figures rather than zeros', async () => {
    const gate = await unreachableGate();
    const down = buildTestApp(t.store, gate);
    try {
      const samples = samplesOf((await down.inject({ method: 'GET', url: '/metrics' })).body);
      expect(samples.filter((s) => s.name === 'firstcome_gate_up').map((s) => s.value)).toEqual([0]);
      expect(samples.filter((s) => s.name === 'firstcome_outbox_length')).toEqual([]);
      // Without the brokers, this API has no lag to tell: no sample at all, not a 0.
      expect(samples.filter((s) => s.name === 'firstcome_kafka_group_lag')).toEqual([]);
    } finally {
      await down.close();
      await gate.close();
    }
  });
});
