import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { randomId, waitFor } from '../../test/fixtures/basics.ts';
import { useDatabase, usePrivateRedis } from '../../test/fixtures/datastores.ts';
import { queuedEventOf } from '../gate/gate.ts';
import { startQueueScheduler } from './queue-scheduler.ts';

describe('the queue scheduler', () => {
  const t = useDatabase();
  const r = usePrivateRedis();

  it('opens a started queue once, reveals its seed, and moves the window paced, not all at once', async () => {
    const event = await t.store.insertEvent({
      id: r.eventId(),
      name: 'Drop',
      stock: 5000,
      perUserLimit: 1,
      startsAt: new Date(Date.now() - 1000),
      endsAt: null,
      queue: { prequeueAt: new Date(Date.now() - 60_000), admitPerSecond: 200, maxActive: null, tokenTtlSeconds: 300 },
    });
    await r.gate.loadEvent(event);
    const queued = queuedEventOf({ ...event, queue: event.queue! });
    for (let i = 0; i < 2000; i++) await r.gate.queue.join(queued, `u${i}`);

    const deps = { store: t.store, gate: r.gate, log: pino({ level: 'silent' }) };
    const leaseName = randomId('queue-scheduler');
    const first = startQueueScheduler(deps, { leaseName });
    const second = startQueueScheduler(deps, { leaseName });
    try {
      const state = await waitFor('the first advance', async () => {
        const read = await r.gate.queue.readState(queued);
        return read.window > 0 ? read : undefined;
      });
      // A second's worth at most per advance: far below the 2,000 waiting.
      expect(state.window).toBeLessThan(1000);
      expect(state.seed).toMatch(/^[0-9a-f]{64}$/);
      const stored = await waitFor('the seed kept', async () => (await t.store.findEvent(event.id))?.queue?.seed);
      expect(stored).toBe(state.seed);
      // One of the two holds the lease and moves the window; the other stands by.
      expect([first.isHolding(), second.isHolding()].filter(Boolean)).toHaveLength(1);
      const later = await waitFor('the window to move on', async () => {
        const read = await r.gate.queue.readState(queued);
        return read.window > state.window ? read : undefined;
      });
      expect(later.window).toBeLessThanOrEqual(2000);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });
});
