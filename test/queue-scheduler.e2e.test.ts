import { describe, expect, it } from 'vitest';
import { openGate } from '../src/gate/open-gate.ts';
import { queuedEventOf } from '../src/gate/gate.ts';
import { adminToken, randomId, waitFor } from './fixtures/basics.ts';
import { usePipeline } from './fixtures/pipeline.ts';

const holding = 'queue scheduler: holding the lease';

describe('the queue scheduler survives a SIGKILL of the process that holds its lease', () => {
  const p = usePipeline(() => ({ LOG_LEVEL: 'info' }));

  it('another API process takes the lease and the window keeps moving', async () => {
    p.processes.dumpOnFailure();
    const other = await p.spawnApi({ LOG_LEVEL: 'info' });
    const id = randomId('ev');
    const created = await fetch(`${p.api.baseUrl}/admin/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        id,
        name: 'queued',
        stock: 100_000,
        startsAt: new Date(Date.now() - 1000).toISOString(),
        queue: { prequeueAt: new Date(Date.now() - 60_000).toISOString(), admitPerSecond: 20 },
      }),
    });
    expect(created.status).toBe(201);
    for (let i = 0; i < 600; i++) {
      const joined = await fetch(`${p.api.baseUrl}/events/${id}/queue`, {
        method: 'POST',
        headers: { 'x-user-id': `user-${i}` },
      });
      expect(joined.status).toBe(202);
    }
    const event = (await p.t.store.findEvent(id))!;
    const queued = queuedEventOf({ ...event, queue: event.queue! });
    const gate = await openGate(p.redisOptions(), () => undefined);
    try {
      const windowNow = async () => (await gate.queue.readState(queued)).window;
      await waitFor('the window to move', async () => (await windowNow()) > 0);
      const holder = await waitFor('the lease holder', () =>
        [p.api, other].find((api) => api.output().includes(holding)),
      );
      const survivor = holder === p.api ? other : p.api;
      await holder.kill('SIGKILL');
      const windowAtKill = await windowNow();
      await waitFor('the survivor to take the lease', () => survivor.output().includes(holding), {
        timeoutMs: 15_000,
      });
      // Moving on at the pace again: more than a second's worth past where it stood at the kill.
      await waitFor('the window to keep moving', async () => (await windowNow()) > windowAtKill + 20);
      expect(await windowNow()).toBeLessThanOrEqual(600);
    } finally {
      await gate.close();
    }
  });
});
