import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSseParser, type SseMessage } from '../../dashboard/src/sse.ts';
import { adminToken, waitFor } from '../../test/fixtures/basics.ts';
import { startPrivateRedis, useDatabase, useRedis } from '../../test/fixtures/datastores.ts';
import { testedStoreKinds } from '../../test/fixtures/databases.ts';
import { buildTestApp } from '../../test/fixtures/app.ts';
import { createMetrics } from '../metrics.ts';
import type { FastifyInstance } from 'fastify';
import type { LiveFrame } from './live-stream.ts';

/** Reads a stream as the dashboard does (fetch + the same parser), keeping every message. */
function openStream(url: string, headers: Record<string, string>) {
  const messages: SseMessage[] = [];
  const abort = new AbortController();
  const ready = fetch(url, { headers, signal: abort.signal });
  const done = ready.then(async (response) => {
    if (!response.ok || !response.body) return response.status;
    const parse = createSseParser((message) => messages.push(message));
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const chunk = await reader.read().catch(() => ({ done: true as const, value: undefined }));
      if (chunk.done) return response.status;
      parse(chunk.value);
    }
  });
  const frames = () => messages.filter((m) => m.event === 'figures').map((m) => JSON.parse(m.data) as LiveFrame);
  return { messages, frames, done, close: () => abort.abort() };
}

// A Redis of its own: a relay running anywhere on the shared one would drain these events' outboxes.
const redisServer = await startPrivateRedis();
afterAll(async () => redisServer.stop());

describe.each(testedStoreKinds())('the dashboard stream of an event, on %s', (kind) => {
  const t = useDatabase(kind);
  const r = useRedis(redisServer.url);
  const metrics = createMetrics();
  let app: FastifyInstance;
  let baseUrl: string;
  const admin = { authorization: `Bearer ${adminToken}` };

  beforeAll(async () => {
    app = buildTestApp(t.store, r.gate, { metrics });
    baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => app.close());

  async function createEvent(stock: number) {
    const id = r.eventId();
    const response = await fetch(`${baseUrl}/admin/events`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ id, name: 'Live drop', stock }),
    });
    expect(response.status).toBe(201);
    return id;
  }

  const claim = (id: string, userId: string) =>
    fetch(`${baseUrl}/events/${id}/claims`, { method: 'POST', headers: { 'x-user-id': userId } });

  it('answers 401 without the admin token, also when the token is put in the URL, and 404 for no event', async () => {
    const id = await createEvent(1);
    expect((await fetch(`${baseUrl}/admin/stream/events/${id}`)).status).toBe(401);
    expect((await fetch(`${baseUrl}/admin/stream/events/${id}?token=${adminToken}`)).status).toBe(401);
    expect((await fetch(`${baseUrl}/admin/stream/events/${r.eventId()}`, { headers: admin })).status).toBe(404);
  });

  it('pushes stock, admissions, rejections by reason, backlog and coupons as claims arrive', async () => {
    const id = await createEvent(3);
    const stream = openStream(`${baseUrl}/admin/stream/events/${id}`, admin);
    try {
      const first = await waitFor('a first frame', () => stream.frames()[0]);
      expect(stream.messages[0]?.event).toBe('history');
      expect(first).toMatchObject({ admitted: 0, remaining: 3, issued: 0, event: { id, stock: 3, state: 'open' } });
      expect(first.kafka).toMatchObject({ lag: null });
      expect((await metrics.dashboardStreams.get()).values[0]?.value).toBe(1);

      const answers = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((user) => claim(id, user)));
      expect(answers.map((a) => a.status).sort()).toEqual([202, 202, 202, 409, 409]);
      expect((await claim(id, 'a')).status).toBe(409);

      const soldOut = await waitFor('a frame after the sell-out', () =>
        stream.frames().find((f) => f.remaining === 0 && f.answered.sold_out === 3),
      );
      expect(soldOut).toMatchObject({
        admitted: 3,
        event: { state: 'sold_out' },
        // No relay runs in this test: every admission waits in the outbox.
        outbox: { backlog: 3, pending: 0 },
        failures: { retrying: 0, dead: 0, issued: 0, nextAttemptAt: null },
        answered: { admitted: 3, sold_out: 3, limit_reached: 0 },
        trouble: [],
      });
      const rising = stream.frames().find((f) => (f.rates.admittedPerSec ?? 0) > 0);
      expect(rising?.rates.answeredPerSec.admitted).toBeGreaterThan(0);
      expect(stream.frames().some((f) => f.rates.answeredPerSec.sold_out > 0)).toBe(true);
    } finally {
      stream.close();
    }
    await waitFor(
      'the stream to be counted closed',
      async () => (await metrics.dashboardStreams.get()).values[0]?.value === 0,
    );
  });

  it('gives a dashboard that joins late the points so far', async () => {
    const id = await createEvent(10);
    const early = openStream(`${baseUrl}/admin/stream/events/${id}`, admin);
    try {
      await waitFor('two frames', () => early.frames().length >= 2);
      const late = openStream(`${baseUrl}/admin/stream/events/${id}`, admin);
      try {
        const history = await waitFor('history', () => late.messages.find((m) => m.event === 'history'));
        expect((JSON.parse(history.data) as unknown[]).length).toBeGreaterThanOrEqual(2);
      } finally {
        late.close();
      }
    } finally {
      early.close();
    }
  });

  it('ends open streams when the server closes, so shutting down never hangs', async () => {
    const id = await createEvent(1);
    const other = buildTestApp(t.store, r.gate);
    const url = await other.listen({ port: 0, host: '127.0.0.1' });
    const stream = openStream(`${url}/admin/stream/events/${id}`, admin);
    await waitFor('a frame', () => stream.frames()[0]);
    await other.close();
    expect(await stream.done).toBe(200);
  });
});
