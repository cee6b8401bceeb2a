import { Writable } from 'node:stream';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, waitFor } from '../../test/fixtures/basics.ts';
import { buildTestApp } from '../../test/fixtures/app.ts';
import { unreachableGate, useDatabase, useRedis } from '../../test/fixtures/datastores.ts';
import { testedStoreKinds } from '../../test/fixtures/databases.ts';
import { startTcpProxy } from '../../test/fixtures/processes.ts';
import { createGateHandle } from '../gate/open-gate.ts';
import { connectRedis, createRedis } from '../gate/redis.ts';

const admin = { authorization: `Bearer ${adminToken}` };

describe.each(testedStoreKinds())('closing an event, on %s', (kind) => {
  const t = useDatabase(kind);
  const r = useRedis();
  let app: FastifyInstance;

  beforeAll(() => {
    app = buildTestApp(t.store, r.gate);
  });
  afterAll(async () => app.close());

  async function createEvent(body: Record<string, unknown> = {}) {
    const id = r.eventId();
    const response = await app.inject({
      method: 'POST',
      url: '/admin/events',
      headers: admin,
      payload: { id, name: 'Closing drop', stock: 1, ...body },
    });
    expect(response.statusCode).toBe(201);
    return id;
  }

  const claim = (on: FastifyInstance, eventId: string, userId: string) =>
    on.inject({ method: 'POST', url: `/events/${eventId}/claims`, headers: { 'x-user-id': userId } });
  const close = (on: FastifyInstance, eventId: string) =>
    on.inject({ method: 'POST', url: `/admin/events/${eventId}/close`, headers: admin });
  const errorOf = (response: LightMyRequestResponse) => response.json<{ error?: string }>().error;

  it('answers ended from the 200 on in a process that remembered sold_out and missed the notice, and in one started after', async () => {
    const id = await createEvent();
    // Another API process, whose verdict cache hears no notice at all.
    const deaf = buildTestApp(t.store, r.gate);
    try {
      expect((await claim(app, id, 'u1')).statusCode).toBe(202);
      expect(errorOf(await claim(deaf, id, 'u2'))).toBe('sold_out');
      expect(errorOf(await claim(deaf, id, 'u3'))).toBe('sold_out');

      expect((await close(app, id)).statusCode).toBe(200);

      expect(errorOf(await claim(deaf, id, 'u4'))).toBe('ended');
      expect(errorOf(await claim(app, id, 'u4'))).toBe('ended');
      const late = buildTestApp(t.store, r.gate);
      try {
        expect(errorOf(await claim(late, id, 'u5'))).toBe('ended');
      } finally {
        await late.close();
      }
    } finally {
      await deaf.close();
    }
  });

  it('answers ended, not not_started, once an event that has not started is closed', async () => {
    const id = await createEvent({ startsAt: new Date(Date.now() + 3_600_000).toISOString() });
    expect(errorOf(await claim(app, id, 'u1'))).toBe('not_started');
    expect((await close(app, id)).statusCode).toBe(200);
    expect(errorOf(await claim(app, id, 'u1'))).toBe('ended');
    expect((await app.inject({ method: 'GET', url: `/events/${id}` })).json()).toMatchObject({ state: 'ended' });
  });

  it("retries the gate's end while Redis is unreachable for a moment, and answers 200 once the gate has it", async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
    const proxied = await connectRedis(createRedis({ url: `redis://127.0.0.1:${proxy.port}` }), () => undefined);
    const messages: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) {
          messages.push((JSON.parse(line) as { msg: string }).msg);
        }
        done();
      },
    });
    const closer = buildTestApp(t.store, createGateHandle(proxied), { logger: pino({ level: 'warn' }, sink) });
    try {
      const id = await createEvent();
      await proxy.cut();
      await waitFor('the gate connection to drop', () => !proxied.isReady);

      let answered: LightMyRequestResponse | undefined;
      const closing = close(closer, id).then((response) => (answered = response));
      await waitFor('a failed attempt to end the event in the gate', () =>
        answered ? true : messages.some((message) => message.startsWith('close: the gate did not take the end')),
      );
      await proxy.restore();

      const closed = await closing;
      expect([closed.statusCode, closed.json()]).toEqual([200, expect.objectContaining({ id, state: 'ended' })]);
      expect(errorOf(await claim(closer, id, 'u1'))).toBe('ended');
      expect(errorOf(await claim(app, id, 'u1'))).toBe('ended');
    } finally {
      await closer.close();
      proxied.destroy();
      await proxy.cut();
    }
  });

  it('answers 503 with Retry-After when the gate stays unreachable, and the next close converges', async () => {
    const id = await createEvent({ stock: 5 });
    const down = buildTestApp(t.store, await unreachableGate());
    try {
      const failed = await close(down, id);
      expect([failed.statusCode, failed.headers['retry-after'], errorOf(failed)]).toEqual([503, '1', 'unavailable']);
    } finally {
      await down.close();
    }
    // The database has the close, the gate does not yet: the next close brings them together.
    expect((await close(app, id)).statusCode).toBe(200);
    expect(errorOf(await claim(app, id, 'u1'))).toBe('ended');
  });
});
