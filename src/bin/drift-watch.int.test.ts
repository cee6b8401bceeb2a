import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { testConfig, useDatabase, useRedis, waitFor } from '../../test/harness.ts';
import { insertEvent } from '../db/events.ts';
import { insertCoupons } from '../db/insert-coupons.ts';
import { createGate } from '../gate/gate.ts';
import { gateKeys } from '../gate/keys.ts';
import { createMetrics } from '../metrics.ts';
import { startDriftWatch } from './reconcile.ts';

describe('startDriftWatch', () => {
  const t = useDatabase();
  const r = useRedis();

  it('shows on firstcome_reconcile_drift the coupons a gate that lost its claims does not hold', async () => {
    const eventId = r.eventId();
    const event = await insertEvent(t.db, {
      id: eventId,
      name: 'drift',
      stock: 10,
      perUserLimit: 1,
      startsAt: null,
      endsAt: null,
    });
    const gate = createGate(r.redis);
    await gate.loadEvent(event);
    const admission = await gate.admitClaim({ eventId, userId: 'u1', claimId: 'drift-claim' });
    if (admission.kind !== 'ADMITTED') throw new Error(`not admitted: ${admission.kind}`);
    await insertCoupons(t.db, [
      {
        claimId: 'drift-claim',
        eventId,
        userId: 'u1',
        seq: admission.seq,
        slot: admission.slot,
        admittedAtMs: Date.now(),
      },
    ]);
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
