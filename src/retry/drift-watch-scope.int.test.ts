import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventId } from '../claim.ts';
import { randomId, waitFor } from '../../test/fixtures/basics.ts';
import { useDatabase, usePrivateRedis } from '../../test/fixtures/datastores.ts';
import { testedStoreKinds } from '../../test/fixtures/databases.ts';
import { admitOne, deliverClaims, openEvent } from '../../test/fixtures/tickets.ts';
import { activeEventsKey } from '../gate/keys.ts';
import { createMetrics, type Metrics } from '../metrics.ts';
import { type DriftWatchPass, startDriftWatch } from './drift-watch.ts';

const hourMs = 3_600_000;

describe.each(testedStoreKinds())('the drift watch on %s', (kind) => {
  const t = useDatabase(kind);
  // A Redis of its own: the watch's lease is the deployment's, and no other process may hold it here.
  const r = usePrivateRedis();
  const running: Array<{ stop(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((w) => w.stop()));
  });

  /** A watch every 50 ms whose passes and gauge the test reads. */
  function aWatch() {
    const passes: DriftWatchPass[] = [];
    const metrics: Pick<Metrics, 'reconcileDrift'> = createMetrics();
    const watch = startDriftWatch({ store: t.store, gate: r.gate, log: pino({ level: 'silent' }), metrics }, 50, {
      onPass: (pass) => passes.push(pass),
    });
    running.push(watch);
    const labelled = async () => (await metrics.reconcileDrift.get()).values.map((v) => String(v.labels.event));
    return { watch, passes, labelled, watching: () => passes.filter((p) => p.isWatching) };
  }

  it('measures in one process of the deployment: of two watches one measures, the other takes over when it stops', async () => {
    const { event } = await openEvent(t.store, r.gate, r.eventId(), { stock: 5 });
    const [a, b] = [aWatch(), aWatch()];
    // Until one labels the event and the other has had its passes (or, were there no lease, both label it).
    const labelledBy = async () => [(await a.labelled()).includes(event.id), (await b.labelled()).includes(event.id)];
    await waitFor(
      'one watch to measure and the other to stand by',
      async () => {
        const [byA, byB] = await labelledBy();
        return (byA && byB) || (byA && b.passes.length >= 3) || (byB && a.passes.length >= 3);
      },
      { timeoutMs: 30_000 },
    );
    expect((await labelledBy()).filter(Boolean)).toHaveLength(1);
    const [holder, other] = (await a.labelled()).includes(event.id) ? [a, b] : [b, a];
    expect(holder.watching().length).toBeGreaterThan(0);
    expect(other.watching()).toEqual([]);
    expect(await holder.labelled()).toContain(event.id);
    expect(await other.labelled()).toEqual([]);

    await holder.watch.stop();
    await waitFor('the other watch to take over', () => other.watching().length > 0, { timeoutMs: 30_000 });
    expect(other.watching()[0]?.measured).toContain(event.id);
    expect(await other.labelled()).toContain(event.id);
  });

  it('measures open events and ended ones with claims in flight, not an ended one with nothing in flight', async () => {
    const open = (await openEvent(t.store, r.gate, r.eventId(), { stock: 5 })).event;
    const endedAt = { startsAt: new Date(Date.now() - 2 * hourMs), endsAt: new Date(Date.now() - hourMs) };
    // Ended an hour ago with coupons the gate never held: drift, were it measured.
    const quiet = await t.store.insertEvent({ id: r.eventId(), name: 'quiet', stock: 5, perUserLimit: 1, ...endedAt });
    await deliverClaims(t.store, [
      { claimId: randomId('c'), eventId: quiet.id, userId: 'u1', seq: 1, slot: 1, admittedAtMs: 0 },
    ]);
    // Ended an hour ago by the database, and its outbox still holds a claim the gate admitted.
    const busy = await t.store.insertEvent({ id: r.eventId(), name: 'busy', stock: 5, perUserLimit: 1, ...endedAt });
    await r.gate.loadEvent({ ...busy, endsAt: null, startsAt: null });
    await admitOne(r.gate, busy.id, 'u1');

    const watch = aWatch();
    await waitFor('the watch to measure the open event', async () => (await watch.labelled()).includes(open.id), {
      timeoutMs: 30_000,
    });
    const labelled = await watch.labelled();
    expect(labelled).toEqual(expect.arrayContaining([open.id, busy.id]));
    expect(labelled).not.toContain(quiet.id);
    const [pass] = await waitFor('the pass to tell', () => watch.watching().length > 0 && watch.watching());
    const measured: EventId[] = pass!.measured;
    expect(measured).toEqual(expect.arrayContaining([open.id, busy.id]));
    expect(measured).not.toContain(quiet.id);
  });

  it('ends in the gate an event the database closed when the gate missed the close', async () => {
    const { event, gate } = await openEvent(t.store, r.gate, r.eventId(), { stock: 5 });
    // The close reached the database, and the process died before it reached the gate.
    const closed = await t.store.closeEvent(event.id);
    expect((await gate.admitClaim({ eventId: event.id, userId: 'early', claimId: randomId('c') })).kind).toBe(
      'ADMITTED',
    );

    const closedAtMs = closed!.closedAt!.getTime();
    const watch = aWatch();
    await waitFor(
      'the watch to end the event',
      async () => (await gate.readFigures(event.id))?.endsAtMs === closedAtMs,
      {
        timeoutMs: 30_000,
      },
    );
    await waitFor('the pass to tell', () => watch.watching().some((p) => p.ended.includes(event.id)));
    expect((await gate.admitClaim({ eventId: event.id, userId: 'late', claimId: randomId('c') })).kind).toBe('ENDED');
  });

  it("puts an open event that fell off the relay's list back on it", async () => {
    const { event } = await openEvent(t.store, r.gate, r.eventId(), { stock: 5 });
    await r.redis.sRem(activeEventsKey, event.id);
    const watch = aWatch();
    await waitFor(
      'the watch to list the event',
      async () => (await r.redis.sIsMember(activeEventsKey, event.id)) === 1,
      {
        timeoutMs: 30_000,
      },
    );
    await waitFor('the pass to tell', () => watch.watching().some((p) => p.listed.includes(event.id)));
  });
});
