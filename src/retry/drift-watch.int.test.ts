import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { admitOne, deliverClaims, openEvent } from '../../test/fixtures/tickets.ts';
import { useDatabase, useRedis } from '../../test/fixtures/datastores.ts';
import { waitFor } from '../../test/fixtures/basics.ts';
import { createMetrics } from '../metrics.ts';
import { startDriftWatch } from './drift-watch.ts';

describe('startDriftWatch', () => {
  const t = useDatabase();
  const r = useRedis();

  it('shows on firstcome_reconcile_drift the coupons a gate that lost its claims does not hold', async () => {
    const eventId = r.eventId();
    const { gate } = await openEvent(t.store, r.gate, eventId, { stock: 10 });
    await deliverClaims(t.store, [await admitOne(gate, eventId, 'u1')]);
    await r.loseEvent(eventId, ['users', 'outbox']);

    const metrics = createMetrics();
    const watch = startDriftWatch({ log: pino({ level: 'silent' }), metrics, store: t.store, gate: r.gate }, 60_000);
    try {
      const drift = await waitFor('the drift gauge', async () => {
        const values = (await metrics.reconcileDrift.get()).values;
        return values.find((v) => v.labels.event === eventId);
      });
      expect(drift.value).toBe(1);
    } finally {
      await watch.stop();
    }
  });
});
