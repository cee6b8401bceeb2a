import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { admitOne, deliverClaims, openEvent } from '../../test/fixtures/tickets.ts';
import { useDatabase, usePrivateRedis } from '../../test/fixtures/datastores.ts';
import { testedStoreKinds } from '../../test/fixtures/databases.ts';
import { randomId, waitFor } from '../../test/fixtures/basics.ts';
import { createMetrics } from '../metrics.ts';
import { startDriftWatch } from './drift-watch.ts';

describe.each(testedStoreKinds())('startDriftWatch on %s', (kind) => {
  const t = useDatabase(kind);
  // A Redis of its own: the gate's counters are asserted, and no one else's process may move them.
  const r = usePrivateRedis();

  it('shows on firstcome_reconcile_drift the coupons a gate that lost its claims does not hold', async () => {
    const eventId = r.eventId();
    const { gate } = await openEvent(t.store, r.gate, eventId, { stock: 10 });
    await deliverClaims(t.store, [await admitOne(gate, eventId, 'u1')]);
    await r.loseEvent(eventId, ['users', 'outbox']);

    const metrics = createMetrics();
    const deps = { log: pino({ level: 'silent' }), metrics, store: t.store, gate: r.gate };
    // A lease of its own: a firstcome process on the shared Redis may hold the deployment's.
    const watch = startDriftWatch(deps, 60_000, { leaseName: randomId('drift-watch') });
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
