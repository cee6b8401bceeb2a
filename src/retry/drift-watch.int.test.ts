import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { admitOne, deliverClaims, openEvent } from '../../test/tickets.ts';
import { testConfig, useDatabase, useRedis, waitFor } from '../../test/harness.ts';
import { gateKeys } from '../gate/keys.ts';
import { createMetrics } from '../metrics.ts';
import { startDriftWatch } from '../roles/reconcile.ts';

describe('startDriftWatch', () => {
  const t = useDatabase();
  const r = useRedis();

  it('shows on firstcome_reconcile_drift the coupons a gate that lost its claims does not hold', async () => {
    const eventId = r.eventId();
    const { gate } = await openEvent(t.db, r.redis, eventId, { stock: 10 });
    await deliverClaims(t.db, [await admitOne(gate, eventId, 'u1')]);
    await r.redis.del([gateKeys(eventId).users, gateKeys(eventId).outbox]);

    const metrics = createMetrics();
    const config = testConfig({ DATABASE_URL: t.url, RECONCILE_INTERVAL_MS: '60000' });
    const watch = startDriftWatch({ config, log: pino({ level: 'silent' }), metrics, db: t.db, redis: r.redis });
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
