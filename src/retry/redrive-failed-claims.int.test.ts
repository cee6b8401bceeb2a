import { describe, expect, it } from 'vitest';
import type { AdmittedClaim } from '../claim.ts';
import { admitOne as admit, deliverClaims, openEvent } from '../../test/fixtures/tickets.ts';
import { randomId, waitFor } from '../../test/fixtures/basics.ts';
import { useDatabase, usePrivateRedis } from '../../test/fixtures/datastores.ts';
import { testedStoreKinds } from '../../test/fixtures/databases.ts';
import { createVerdictCache } from '../gate/verdict-cache.ts';
import { redriveFailedClaims } from './redrive-failed-claims.ts';

// No delay between attempts: each pass finds a refused claim due again.
const policy = { maxAttempts: 4, baseMs: 1, capMs: 0, batchSize: 100, leaseMs: 60_000 };

describe.each(testedStoreKinds())('the retry job on %s', (kind) => {
  const t = useDatabase(kind);
  // A Redis of its own: the gate's counters are asserted, and no one else's process may move them.
  const r = usePrivateRedis();

  const pass = () => redriveFailedClaims({ store: t.store, gate: r.gate }, policy);

  const anEvent = (stock: number, id = r.eventId()) => openEvent(t.store, r.gate, id, { stock });
  const deliver = (claims: AdmittedClaim[]) => deliverClaims(t.store, claims);

  const failedRow = async (claimId: string) => {
    const [row] = await t.probe.failedClaims({ claimIds: [claimId] });
    if (!row) throw new Error(`no failed claim ${claimId}`);
    return row;
  };

  it('promise 3: issues a refused claim once the database takes it', async () => {
    const eventId = r.eventId();
    const claim: AdmittedClaim = { claimId: randomId('c'), eventId, userId: 'alice', seq: 1, slot: 1, admittedAtMs: 0 };
    expect((await deliver([claim])).refused.map((f) => f.reason.split(':')[0])).toEqual(['unknown_event']);
    await anEvent(1, eventId);

    expect(await pass()).toEqual({ issued: 1, retrying: 0, dead: 0, ticketsReturned: 0, ticketsKept: 0 });
    expect(await t.store.countCoupons(eventId)).toBe(1);
    expect(await failedRow(claim.claimId)).toMatchObject({ state: 'issued', attempts: 2 });
    expect(await pass()).toEqual({ issued: 0, retrying: 0, dead: 0, ticketsReturned: 0, ticketsKept: 0 });
  });

  it('promise 4: gives up after the last attempt on a claim the database keeps refusing, and returns its ticket so the whole stock is issued', async () => {
    const { event, gate } = await anEvent(3);
    const claims = [await admit(gate, event.id, 'alice'), await admit(gate, event.id, 'bob')];
    const mallory = await admit(gate, event.id, 'mallory');
    const verdicts = createVerdictCache();
    verdicts.remember(event.id, 'SOLD_OUT');
    const unsubscribe = await r.gate.subscribeChanges(verdicts, () => undefined);
    // The database refuses mallory for a reason no rule knows as final, as it would bad data.
    const refusal = await t.probe.refuseCouponsOf('mallory');
    try {
      expect((await deliver([...claims, mallory])).inserted).toBe(2);
      let passes = 0;
      const row = await waitFor('mallory given up', async () => {
        passes++;
        await pass();
        const failed = await failedRow(mallory.claimId);
        return failed.state === 'dead' && failed;
      });
      expect(passes).toBe(policy.maxAttempts - 1);
      expect(row).toMatchObject({ attempts: policy.maxAttempts, ticket_returned: true });
      expect(row.error).toMatch(/^refused: .*refuses_mallory/);
    } finally {
      await refusal.restore();
    }
    await waitFor('the API processes to forget the sell-out', () => verdicts.get(event.id) === undefined);
    await unsubscribe();

    expect(await gate.listHeldClaims(event.id, 'mallory')).toEqual([]);
    expect((await gate.readFigures(event.id))?.admitted).toBe(2);
    const carol = await admit(gate, event.id, 'carol');
    expect(carol.seq).toBe(mallory.seq);
    expect((await deliver([carol])).inserted).toBe(1);
    expect(await t.store.countCoupons(event.id)).toBe(event.stock);
    expect((await gate.admitClaim({ eventId: event.id, userId: 'dave', claimId: randomId('c') })).kind).toBe(
      'SOLD_OUT',
    );
  });

  it('gives up at once on a claim whose ticket the database holds for another claim, and keeps that ticket counted', async () => {
    const { event, gate } = await anEvent(2);
    const alice = await admit(gate, event.id, 'alice');
    const bob = await admit(gate, event.id, 'bob');
    await deliver([alice]);
    // Redis loses the event while bob is on his way; the gate is re-seeded from the database.
    await r.loseEvent(event.id);
    await gate.loadEvent(event, await t.store.loadIssuedTickets(event.id));
    const carol = await admit(gate, event.id, 'carol');
    expect(carol.seq).toBe(bob.seq);
    await deliver([bob]);
    expect((await deliver([carol])).refused.map((f) => f.reason.split(':')[0])).toEqual(['ticket_taken']);

    expect(await pass()).toEqual({ issued: 0, retrying: 0, dead: 1, ticketsReturned: 0, ticketsKept: 1 });
    expect(await failedRow(carol.claimId)).toMatchObject({ state: 'dead', attempts: 2, ticket_returned: false });
    // Carol's place in the gate stands for bob's ticket, which the gate had lost: the event stays sold out.
    expect((await gate.readFigures(event.id))?.admitted).toBe(2);
    expect((await gate.admitClaim({ eventId: event.id, userId: 'dave', claimId: randomId('c') })).kind).toBe(
      'SOLD_OUT',
    );
    expect(await t.store.countCoupons(event.id)).toBe(2);
  });

  it('gives each due claim one attempt when several workers run passes at once', async () => {
    const eventId = r.eventId();
    const claims = Array.from({ length: 300 }, (_, i): AdmittedClaim => ({
      claimId: randomId('c'),
      eventId,
      userId: `u${i}`,
      seq: i + 1,
      slot: 1,
      admittedAtMs: Date.now(),
    }));
    expect((await deliver(claims)).refused).toHaveLength(300);
    await anEvent(300, eventId);

    const summaries = await Promise.all([pass(), pass(), pass()]);
    expect(summaries.reduce((sum, s) => sum + s.issued, 0)).toBe(300);
    expect(await t.store.countCoupons(eventId)).toBe(300);
    const rows = await t.probe.failedClaims({ eventId });
    const attempts = [
      ...new Map(rows.map(({ attempts, state }) => [`${attempts} ${state}`, { attempts, state }])).values(),
    ];
    expect(attempts).toEqual([{ attempts: 2, state: 'issued' }]);
  });
});
