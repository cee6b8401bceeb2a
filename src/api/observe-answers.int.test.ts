import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { adminToken } from '../../test/fixtures/basics.ts';
import { useDatabase, useRedis } from '../../test/fixtures/datastores.ts';
import { buildTestApp } from '../../test/fixtures/app.ts';

describe('log lines', () => {
  const t = useDatabase();
  const r = useRedis();

  /** Runs a small drop (stock 2, four claims, a close) on an app logging at `level`; returns its log lines. */
  async function dropLoggedAt(level: 'info' | 'debug') {
    const lines: Array<{ msg: string; eventId?: string; outcome?: string; action?: string }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as never);
        done();
      },
    });
    const app = buildTestApp(t.store, r.gate, { logger: pino({ level }, sink) });
    const admin = { authorization: `Bearer ${adminToken}` };
    const id = r.eventId();
    try {
      await app.inject({ method: 'POST', url: '/admin/events', headers: admin, payload: { id, name: 'L', stock: 2 } });
      for (const user of ['a', 'b', 'c', 'd']) {
        await app.inject({ method: 'POST', url: `/events/${id}/claims`, headers: { 'x-user-id': user } });
      }
      await app.inject({ method: 'POST', url: `/admin/events/${id}/close`, headers: admin });
      await app.inject({ method: 'POST', url: `/admin/events/${r.eventId()}/close`, headers: admin });
    } finally {
      await app.close();
    }
    return { id, lines: lines.filter((line) => line.msg !== 'Server listening at' && line.eventId !== undefined) };
  }

  it('writes one line per notable event at info, and none per claim', async () => {
    const { id, lines } = await dropLoggedAt('info');
    expect(lines.map((line) => [line.msg, line.eventId === id])).toEqual([
      ['event created', true],
      ['event sold out', true],
      ['event closed', true],
      ['admin change refused', false],
    ]);
  });

  it('adds one line per claim, with its outcome, at debug', async () => {
    const { lines } = await dropLoggedAt('debug');
    expect(lines.filter((line) => line.msg === 'claim answered').map((line) => line.outcome)).toEqual([
      'admitted',
      'admitted',
      'sold_out',
      'sold_out',
    ]);
  });
});
