import { describe, expect, it } from 'vitest';
import type { AdmittedClaim } from '../claim.ts';
import { admitOne as admit, deliverClaims, openEvent } from '../../test/fixtures/tickets.ts';
import { randomId, waitFor } from '../../test/fixtures/basics.ts';
import { spawnFirstcome } from '../../test/fixtures/processes.ts';
import { useDatabase, usePrivateRedis } from '../../test/fixtures/datastores.ts';
import { testedStoreKinds } from '../../test/fixtures/databases.ts';
import { createVerdictCache } from '../gate/verdict-cache.ts';
import { reconcileEvents } from './reconcile.ts';

describe.each(testedStoreKinds())('reconcile on %s', (kind) => {
  const t = useDatabase(kind);
  // A Redis of its own: a relay on the shared one (a developer's `npm start`, the bench) drains every outbox.
  const r = usePrivateRedis();

  const reconcile = (eventId: string, { repair = false, graceMs = 0 } = {}) =>
    reconcileEvents({ store: t.store, gate: r.gate }, { eventId, repair, graceMs });

  const anEvent = (stock: number, perUserLimit = 1) => openEvent(t.store, r.gate, r.eventId(), { stock, perUserLimit });
  const deliver = (claims: AdmittedClaim[]) => deliverClaims(t.store, claims);

  const relay = () => r.gate.createOutboxConsumer({ consumerName: 'test-relay', batchSize: 1000, claimIdleMs: 60_000 });

  /** What the relay does: the outbox is emptied, its last id stays. */
  async function relayAll(eventId: string): Promise<void> {
    const consumer = relay();
    const entries = await consumer.readNew(eventId);
    await consumer.acknowledge(
      eventId,
      entries.map((entry) => entry.id),
    );
  }

  /** The claims waiting in the outbox that no relay read yet, as the relay would send them. */
  async function readOutbox(eventId: string): Promise<AdmittedClaim[]> {
    return (await relay().readNew(eventId)).map((entry) => entry.claim);
  }

  const only = async (report: Promise<Awaited<ReturnType<typeof reconcile>>>) => {
    const { events, hasDrift } = await report;
    expect(events).toHaveLength(1);
    return { ...events[0]!, hasDrift };
  };

  it('finds no drift when every admitted claim is a coupon, and counts claims still in the outbox as in flight', async () => {
    const { event, gate } = await anEvent(5);
    const claims = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((u) => admit(gate, event.id, u)));
    await deliver(claims.slice(0, 4));

    const { found, hasDrift } = await only(reconcile(event.id));
    expect(hasDrift).toBe(false);
    expect(found).toMatchObject({
      gate: { admitted: 5, held: 5, seq: 5, returned: 0 },
      database: { coupons: 4, retrying: 0, dead: 0, highestTicket: expect.any(Number) as number },
      problems: [],
    });
    expect(found.inFlight.map((c) => c.claimId)).toEqual([claims[4]!.claimId]);
  });

  it('promise 3: re-drives an admitted claim that reached neither table, once the grace period is over', async () => {
    const { event, gate } = await anEvent(3);
    const claims = await Promise.all(['a', 'b', 'c'].map((u) => admit(gate, event.id, u)));
    await relayAll(event.id);
    await deliver(claims.slice(0, 2));
    const lost = claims[2]!;

    const early = await only(reconcile(event.id, { graceMs: 3_600_000 }));
    expect(early.hasDrift).toBe(false);
    expect(early.found.inFlight.map((c) => c.claimId)).toEqual([lost.claimId]);

    const found = await only(reconcile(event.id));
    expect(found.hasDrift).toBe(true);
    expect(found.found.missing.map((c) => c.claimId)).toEqual([lost.claimId]);

    const repaired = await only(reconcile(event.id, { repair: true }));
    expect(repaired.repair).toEqual({ recounted: undefined, redriven: 1, relisted: false });
    expect(repaired.hasDrift).toBe(false);
    const redriven = await readOutbox(event.id);
    expect(redriven.map(({ admittedAtMs: _, ...c }) => c)).toEqual([
      { claimId: lost.claimId, eventId: event.id, userId: lost.userId, seq: lost.seq, slot: lost.slot },
    ]);
    // Delivered twice (the original turns up after all): one coupon.
    await deliver([...redriven, lost]);
    expect(await t.store.countCoupons(event.id)).toBe(3);
    expect((await only(reconcile(event.id))).found.problems).toEqual([]);
  });

  it('promise 6: brings back a gate that lost the event, so a sold-out event reads sold out again', async () => {
    const { event, gate } = await anEvent(4, 2);
    const claims = [
      await admit(gate, event.id, 'alice'),
      await admit(gate, event.id, 'alice'),
      await admit(gate, event.id, 'bob'),
      await admit(gate, event.id, 'carol'),
    ];
    await deliver(claims);
    await r.loseEvent(event.id);

    const found = await only(reconcile(event.id));
    expect(found.hasDrift).toBe(true);
    expect(found.found.gate).toBeUndefined();
    expect(found.found.problems).toContain('the gate lost the event');

    const repaired = await only(reconcile(event.id, { repair: true }));
    expect(repaired.repair?.recounted).toEqual({ admitted: 4, seq: 4, returned: 0 });
    expect(repaired.hasDrift).toBe(false);
    expect(await gate.admitClaim({ eventId: event.id, userId: 'dave', claimId: randomId('c') })).toMatchObject({
      kind: 'SOLD_OUT',
    });
    expect(await gate.listHeldClaims(event.id, 'alice')).toHaveLength(2);
  });

  it('promise 6: raises the counters and claims of a gate that a failover left behind', async () => {
    const { event, gate } = await anEvent(5);
    const claims = await Promise.all(['u0', 'u1', 'u2', 'u3', 'u4'].map((u) => admit(gate, event.id, u)));
    await deliver(claims);
    const kept = claims.filter((c) => c.seq <= 2);
    await r.rewindEvent(event.id, {
      admitted: 2,
      seq: 2,
      usersLost: claims.filter((c) => c.seq > 2).map((c) => c.userId),
    });
    expect(kept).toHaveLength(2);

    const found = await only(reconcile(event.id));
    expect(found.found.unknownToGate).toHaveLength(3);
    expect(found.found.problems).toContain("the gate's ticket counter 2 is below the database's highest ticket 5");

    const repaired = await only(reconcile(event.id, { repair: true }));
    expect(repaired.repair?.recounted).toEqual({ admitted: 5, seq: 5, returned: 0 });
    expect(repaired.hasDrift).toBe(false);
    expect((await gate.admitClaim({ eventId: event.id, userId: 'u9', claimId: randomId('c') })).kind).toBe('SOLD_OUT');
  });

  it('promise 4: drops a dead claim the gate still holds and hands its ticket out again', async () => {
    const { event, gate } = await anEvent(3);
    const alice = await admit(gate, event.id, 'alice');
    const bob = await admit(gate, event.id, 'bob');
    const mallory = await admit(gate, event.id, 'mallory');
    await deliver([alice, bob]);
    // The retry job gave mallory up but died before it gave her ticket back.
    await t.store.recordFailedClaims([{ claim: mallory, reason: 'refused: bad data' }]);
    await t.store.recordRetryOutcomes([
      { claimId: mallory.claimId, state: 'dead', attempts: 2, reason: 'refused: bad data', delayMs: 0 },
    ]);
    const verdicts = createVerdictCache();
    verdicts.remember(event.id, 'SOLD_OUT');
    const unsubscribe = await r.gate.subscribeChanges(verdicts, () => undefined);

    const found = await only(reconcile(event.id));
    expect(found.found.deadHeld.map((c) => c.claimId)).toEqual([mallory.claimId]);
    const repaired = await only(reconcile(event.id, { repair: true }));
    expect(repaired.repair?.recounted).toEqual({ admitted: 2, seq: 3, returned: 1 });
    expect(repaired.hasDrift).toBe(false);
    await waitFor('the API processes to forget the sell-out', () => verdicts.get(event.id) === undefined);
    await unsubscribe();

    expect(await gate.redriveClaim({ eventId: event.id, userId: 'mallory', claimId: mallory.claimId })).toBe(false);
    const carol = await admit(gate, event.id, 'carol');
    expect(carol.seq).toBe(mallory.seq);
    await deliver([carol]);
    expect(await t.store.countCoupons(event.id)).toBe(event.stock);
    expect((await only(reconcile(event.id))).found.problems).toEqual([]);
  });

  it('exits 1 while drift remains and 0 once --repair fixed it, in a table or as JSON', async () => {
    const { event, gate } = await anEvent(2);
    await deliver([await admit(gate, event.id, 'alice'), await admit(gate, event.id, 'bob')]);
    await r.loseEvent(event.id);
    const run = async (...args: string[]) => {
      const proc = spawnFirstcome(['reconcile', '--event', event.id, ...args], {
        DATABASE_URL: t.url,
        ...r.env,
      });
      return { code: await proc.exited, output: proc.output() };
    };

    const drift = await run();
    expect(drift.code).toBe(1);
    expect(drift.output).toMatch(new RegExp(`^${event.id} +2 +lost +- +2 .*DRIFT$`, 'm'));
    expect(drift.output).toContain('the gate lost the event');
    const json = await run('--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.output)).toMatchObject({ drift: true, events: [{ eventId: event.id, gate: null }] });

    const repaired = await run('--repair');
    expect(repaired.code).toBe(0);
    expect(repaired.output).toMatch(/repaired/);
    expect((await run()).code).toBe(0);
  });
});
