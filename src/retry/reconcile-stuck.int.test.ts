import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../test/fixtures/basics.ts';
import { useDatabase, useKafkaTopics, usePrivateRedis } from '../../test/fixtures/datastores.ts';
import { testedStoreKinds } from '../../test/fixtures/databases.ts';
import { admitOne, openEvent } from '../../test/fixtures/tickets.ts';
import { activeEventsKey } from '../gate/keys.ts';
import { ensureClaimsTopic } from '../kafka/claims-topic.ts';
import { createMetrics } from '../metrics.ts';
import { createClaimProducer } from '../relay/claim-producer.ts';
import { createRelay } from '../relay/relay.ts';
import { reconcileEvents } from './reconcile.ts';

const brokers = ['127.0.0.1:9092'];

describe.each(testedStoreKinds())('reconcile, when an event fell off the relay’s list on %s', (kind) => {
  const t = useDatabase(kind);
  // A Redis of its own: the relay below drains every listed event of it, and only this file's.
  const r = usePrivateRedis();
  const topics = useKafkaTopics();

  it('reports the claims stuck in its outbox, and --repair lists it again so that a running relay drains them', async () => {
    const topic = topics.topic();
    await ensureClaimsTopic({ brokers, topic }, 1);
    const { event, gate } = await openEvent(t.store, r.gate, r.eventId(), { stock: 5 });
    // The list loses the event (in a cluster it lives on another node, which failed over without it).
    await r.redis.sRem(activeEventsKey, event.id);
    const claims = await Promise.all(['a', 'b', 'c'].map((userId) => admitOne(gate, event.id, userId)));

    const metrics = createMetrics();
    const producer = createClaimProducer({ brokers, topic });
    const relay = createRelay(
      {
        reader: r.gate.createOutboxConsumer({ consumerName: 'relay-1', batchSize: 100, claimIdleMs: 30_000 }),
        producer,
        log: pino({ level: 'silent' }),
        metrics,
      },
      { batchSize: 100, eventsRefreshMs: 100 },
    );
    void relay.run();
    const reconcile = (repair: boolean) =>
      reconcileEvents(
        { store: t.store, gate: r.gate },
        // Any claim in the outbox counts as stuck here: the test does not wait for a threshold.
        { eventId: event.id, repair, graceMs: 60_000, stuckAfterMs: 0 },
      );
    try {
      const found = await reconcile(false);
      expect(found.hasDrift).toBe(true);
      const [drift] = found.events.map((e) => e.found);
      expect(drift?.counts).toMatchObject({ stuck: 3, inFlight: 0, missing: 0 });
      expect(drift?.stuck.map((c) => c.claimId).sort()).toEqual(claims.map((c) => c.claimId).sort());
      expect(drift?.problems).toEqual([
        "the event is not on the relay's list: its outbox is never drained",
        '3 claims waiting in the outbox for 0 s or more',
      ]);

      const repaired = await reconcile(true);
      expect(repaired.events[0]?.repair).toEqual({ recounted: undefined, redriven: 0, relisted: true });
      expect(await r.redis.sIsMember(activeEventsKey, event.id)).toBe(1);
      await waitFor(
        'the relay to drain the outbox',
        async () => (await r.gate.readOutboxFigures(event.id)).length === 0,
      );
      expect((await metrics.relayedClaims.get()).values[0]?.value).toBe(3);
      // On their way to the database now: in flight, no drift.
      const after = await reconcile(false);
      expect(after.hasDrift).toBe(false);
      expect(after.events[0]?.found.counts).toMatchObject({ stuck: 0, inFlight: 3 });
    } finally {
      await relay.stop();
      await producer.close();
    }
  });
});
