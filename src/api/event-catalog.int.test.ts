import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { AdmittedClaim } from '../claim.ts';
import { buildTestApp } from '../../test/fixtures/app.ts';
import { useDatabase, usePrivateRedis } from '../../test/fixtures/datastores.ts';
import { testedStoreKinds } from '../../test/fixtures/databases.ts';
import { admitOne, deliverClaims, openEvent } from '../../test/fixtures/tickets.ts';
import type { Store } from '../store/store.ts';
import { createEventCatalog } from './event-catalog.ts';

/** The store, counting the reads that load an event's tickets into the gate. */
function countingTicketReads(store: Store): { store: Store; reads: () => number } {
  let reads = 0;
  const counted: Record<string, unknown> = { ...store };
  for (const name of ['loadIssuedTickets', 'streamIssuedTickets'] as const) {
    const read = (store as unknown as Record<string, ((...args: unknown[]) => Promise<unknown>) | undefined>)[name];
    if (read) {
      counted[name] = (...args: unknown[]) => {
        reads++;
        return read(...args);
      };
    }
  }
  return { store: counted as unknown as Store, reads: () => reads };
}

const claim = (app: FastifyInstance, eventId: string, userId: string) =>
  app.inject({ method: 'POST', url: `/events/${eventId}/claims`, headers: { 'x-user-id': userId } });

/** Script calls Redis has run so far (EVALSHA, and EVAL when a script was not cached yet). */
async function scriptCalls(info: Promise<string>): Promise<number> {
  return [...(await info).matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

describe.each(testedStoreKinds())('an event Redis lost, loaded again from the database, on %s', (kind) => {
  const t = useDatabase(kind);
  // A Redis of its own: the test asserts on gate counters and script counts no other process may move.
  const r = usePrivateRedis();

  it('hands a dead claim’s ticket below the highest to the next claim, and the one after gets sold_out', async () => {
    const { event, gate } = await openEvent(t.store, r.gate, r.eventId(), { stock: 3 });
    const [alice, bob, carol] = [
      await admitOne(gate, event.id, 'alice'),
      await admitOne(gate, event.id, 'bob'),
      await admitOne(gate, event.id, 'carol'),
    ];
    expect([alice.seq, bob.seq, carol.seq]).toEqual([1, 2, 3]);
    await deliverClaims(t.store, [alice, carol]);
    // Bob's claim died: the database holds tickets 1 and 3, and 2 is free.
    await t.store.recordFailedClaims([{ claim: bob, reason: 'refused: bad data' }]);
    await t.store.recordRetryOutcomes([
      { claimId: bob.claimId, state: 'dead', attempts: 2, reason: 'refused: bad data', delayMs: 0 },
    ]);
    await r.loseEvent(event.id);

    const app = buildTestApp(t.store, r.gate);
    try {
      const dave = await claim(app, event.id, 'dave');
      expect(dave.statusCode).toBe(202);
      const { claimId } = dave.json<{ claimId: string }>();
      expect(await r.gate.listHeldClaims(event.id, 'dave')).toEqual([{ claimId, slot: 1, seq: 2 }]);
      const erin = await claim(app, event.id, 'erin');
      expect(erin.statusCode).toBe(409);
      expect(erin.json()).toMatchObject({ error: 'sold_out' });
      expect(await r.gate.readFigures(event.id)).toMatchObject({ admitted: 3 });
    } finally {
      await app.close();
    }
  });

  it('reads the database once for all the claims and looks that find the event missing at once', async () => {
    const { event, gate } = await openEvent(t.store, r.gate, r.eventId(), { stock: 100 });
    await deliverClaims(t.store, await Promise.all(['a', 'b', 'c'].map((u) => admitOne(gate, event.id, u))));
    await r.loseEvent(event.id);

    const counting = countingTicketReads(t.store);
    const app = buildTestApp(counting.store, r.gate);
    try {
      const [claims, looks] = await Promise.all([
        Promise.all(Array.from({ length: 50 }, (_, i) => claim(app, event.id, `rush-${i}`))),
        Promise.all(Array.from({ length: 10 }, () => app.inject({ method: 'GET', url: `/events/${event.id}` }))),
      ]);
      expect(claims.map((c) => c.statusCode)).toEqual(Array.from({ length: 50 }, () => 202));
      expect(looks.map((l) => l.statusCode)).toEqual(Array.from({ length: 10 }, () => 200));
      expect(counting.reads()).toBe(1);
      expect(await r.gate.readFigures(event.id)).toMatchObject({ admitted: 53 });
    } finally {
      await app.close();
    }
  });

  it('loads 20,000 coupons in pages and chunks, and the next claim gets the free ticket among them', async () => {
    const stock = 20_001;
    const { event } = await openEvent(t.store, r.gate, r.eventId(), { stock });
    const coupons: AdmittedClaim[] = [];
    for (let seq = 1; seq <= stock; seq++) {
      if (seq !== 4242) {
        coupons.push({ claimId: `c${seq}`, eventId: event.id, userId: `u${seq}`, seq, slot: 1, admittedAtMs: 0 });
      }
    }
    for (let i = 0; i < coupons.length; i += 5000) await deliverClaims(t.store, coupons.slice(i, i + 5000));
    await r.loseEvent(event.id);

    const before = await scriptCalls(r.redis.info('commandstats'));
    const app = buildTestApp(t.store, r.gate);
    try {
      const late = await claim(app, event.id, 'late');
      expect(late.statusCode).toBe(202);
      expect(await r.gate.listHeldClaims(event.id, 'late')).toMatchObject([{ seq: 4242 }]);
      expect((await claim(app, event.id, 'later')).json()).toMatchObject({ error: 'sold_out' });
    } finally {
      await app.close();
    }
    // No call carried the whole event: a few hundred users a call, and the last one makes the event admit.
    expect((await scriptCalls(r.redis.info('commandstats'))) - before).toBeGreaterThanOrEqual(20);
    expect(await r.gate.readFigures(event.id)).toMatchObject({ stock, admitted: stock });
  });
});

describe('a scheduled event whose queue may still change', () => {
  const t = useDatabase();
  const r = usePrivateRedis();

  it('is read again after a second until its start, and kept once read at or after the start', async () => {
    const startsAt = new Date(Date.now() + 3_600_000);
    const event = await t.store.insertEvent({
      id: r.eventId(),
      name: 'drop',
      stock: 1,
      perUserLimit: 1,
      startsAt,
      endsAt: null,
    });
    let nowMs = Date.now();
    const catalog = createEventCatalog(t.store, r.gate, () => nowMs);
    expect((await catalog.find(event.id)).queue).toBeNull();

    const queue = { prequeueAt: new Date(), admitPerSecond: 5, maxActive: null, tokenTtlSeconds: 60 };
    await t.store.updateEventQueue(event.id, queue, new Date());
    expect((await catalog.find(event.id)).queue, 'within the second').toBeNull();
    nowMs += 1001;
    expect((await catalog.find(event.id)).queue).toMatchObject({ admitPerSecond: 5 });

    // Read at the start, the definition is final: no change can have been made after it (5 s margin).
    nowMs = startsAt.getTime();
    await catalog.find(event.id);
    await t.store.updateEventQueue(event.id, null, new Date());
    nowMs += 60_000;
    expect((await catalog.find(event.id)).queue).toMatchObject({ admitPerSecond: 5 });
  });
});
