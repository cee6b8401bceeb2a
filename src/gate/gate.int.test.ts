import { eventDefinition } from '../../test/fixtures/tickets.ts';
import { describe, expect, it } from 'vitest';
import { claimFieldNames, type EventDefinition } from '../claim.ts';
import { randomId } from '../../test/fixtures/basics.ts';
import { usePrivateRedis } from '../../test/fixtures/datastores.ts';
import { type Admission, createGate } from './gate.ts';
import { activeEventsKey, gateKeys } from './keys.ts';
import { createGateHandle } from './open-gate.ts';
import { createOutboxConsumer } from './outbox.ts';
import { connectRedis, createRedis, nodeClientFor } from './redis.ts';

const anEvent = (id: string, overrides: Partial<EventDefinition> = {}) =>
  eventDefinition(id, { stock: 100, ...overrides });

const countBy = (admissions: Admission[]) =>
  admissions.reduce<Record<string, number>>((counts, a) => ({ ...counts, [a.kind]: (counts[a.kind] ?? 0) + 1 }), {});

describe('gate', () => {
  // A Redis of its own: a relay on the shared one (a developer's `npm start`, the bench) drains every outbox.
  const r = usePrivateRedis();

  it('promise 1: admits exactly `stock` claims, with tickets 1..stock, when 1000 users race for 100 coupons', async () => {
    const gate = createGate(r.redis);
    const eventId = r.eventId();
    await gate.loadEvent(anEvent(eventId));
    const admissions = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => gate.admitClaim({ eventId, userId: `u${i}`, claimId: randomId('c') })),
    );
    expect(countBy(admissions)).toEqual({ ADMITTED: 100, SOLD_OUT: 900 });
    const seqs = admissions.flatMap((a) => (a.kind === 'ADMITTED' ? [a.seq] : [])).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(await r.redis.xLen(gateKeys(eventId).outbox)).toBe(100);
  });

  it('promise 2: gives one user at most perUserLimit claims, numbered slot 1..limit', async () => {
    const gate = createGate(r.redis);
    const eventId = r.eventId();
    await gate.loadEvent(anEvent(eventId, { perUserLimit: 3 }));
    const admissions = await Promise.all(
      Array.from({ length: 10 }, () => gate.admitClaim({ eventId, userId: 'alice', claimId: randomId('c') })),
    );
    expect(countBy(admissions)).toEqual({ ADMITTED: 3, LIMIT_REACHED: 7 });
    expect(admissions.flatMap((a) => (a.kind === 'ADMITTED' ? [a.slot] : [])).sort()).toEqual([1, 2, 3]);
    expect(await gate.listHeldClaims(eventId, 'alice')).toHaveLength(3);
  });

  it('refuses before the start and after the end, on Redis time (checked against Redis TIME)', async () => {
    const gate = createGate(r.redis);
    const eventId = r.eventId();
    // The node that holds the event (on a cluster, another node's clock may differ a little).
    const clock = await nodeClientFor(r.redis, gateKeys(eventId).event);
    /** Redis's own clock (TIME), in ms: the only clock admit-claim.lua may read (no time is passed to it). */
    const redisNowMs = async () => {
      const [seconds, microseconds] = await clock.time();
      return Number(seconds) * 1000 + Math.floor(Number(microseconds) / 1000);
    };
    const loadedAtMs = await redisNowMs();
    const window = { startsAtMs: loadedAtMs + 600, endsAtMs: loadedAtMs + 1200 };
    await gate.loadEvent(
      anEvent(eventId, {
        perUserLimit: 1000,
        startsAt: new Date(window.startsAtMs),
        endsAt: new Date(window.endsAtMs),
      }),
    );
    // Each answer is bracketed by Redis TIME read just before and just after it: wherever the bracket
    // lies wholly on one side of a boundary, the answer must be that side's.
    const seen = new Set<string>();
    for (let i = 0; ; i++) {
      const beforeMs = await redisNowMs();
      const { kind } = await gate.admitClaim({ eventId, userId: `u${i}`, claimId: randomId('c') });
      const afterMs = await redisNowMs();
      seen.add(kind);
      if (afterMs < window.startsAtMs) expect(kind, `at ${beforeMs}..${afterMs}`).toBe('NOT_STARTED');
      else if (beforeMs >= window.startsAtMs && afterMs < window.endsAtMs) expect(kind).toBe('ADMITTED');
      else if (beforeMs >= window.endsAtMs) expect(kind).toBe('ENDED');
      if (beforeMs >= window.endsAtMs + 100) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect([...seen].sort()).toEqual(['ADMITTED', 'ENDED', 'NOT_STARTED']);
    expect((await gate.readFigures(eventId))?.admitted).toBe(await r.redis.xLen(gateKeys(eventId).outbox));
  });

  it('ends an open event when it is closed', async () => {
    const gate = createGate(r.redis);
    const eventId = r.eventId();
    await gate.loadEvent(anEvent(eventId));
    expect(await gate.endEvent(eventId, Date.now() - 1)).toBe(true);
    expect(await gate.admitClaim({ eventId, userId: 'u', claimId: randomId('c') })).toMatchObject({ kind: 'ENDED' });
  });

  it('answers NO_EVENT for an event it does not hold', async () => {
    const gate = createGate(r.redis);
    expect(await gate.admitClaim({ eventId: r.eventId(), userId: 'u', claimId: randomId('c') })).toEqual({
      kind: 'NO_EVENT',
    });
  });

  it('keeps the first load when several API processes, each on a connection of its own, race to load an event', async () => {
    const connections = await Promise.all(
      Array.from({ length: 8 }, () => connectRedis(createRedis(r.options), () => undefined)),
    );
    try {
      const gates = connections.map((connection) => createGate(connection));
      const eventId = r.eventId();
      // Each process read a different definition (stock 11..18), so the figures show whose load won.
      const loads = await Promise.all(gates.map((gate, i) => gate.loadEvent(anEvent(eventId, { stock: 11 + i }))));
      expect(loads.filter((isLoaded) => isLoaded)).toHaveLength(1);
      const winner = loads.indexOf(true);
      expect((await gates[0]!.readFigures(eventId))?.stock).toBe(11 + winner);

      await gates[1]!.admitClaim({ eventId, userId: 'u1', claimId: randomId('c') });
      const late = await Promise.all(gates.map((gate) => gate.loadEvent(anEvent(eventId, { stock: 99 }))));
      expect(late).toEqual(gates.map(() => false));
      expect(await gates[2]!.readFigures(eventId)).toMatchObject({ stock: 11 + winner, admitted: 1 });
    } finally {
      for (const connection of connections) connection.destroy();
    }
  });

  it('promise 6: re-seeds from issued tickets so that a sold-out event stays sold out after Redis lost it', async () => {
    const gate = createGate(r.redis);
    const eventId = r.eventId();
    const claimsByUser = new Map([
      ['u1', [{ claimId: 'c1', slot: 1, seq: 1 }]],
      ['u2', [{ claimId: 'c2', slot: 1, seq: 2 }]],
    ]);
    await gate.loadEvent(anEvent(eventId, { stock: 2 }), { maxSeq: 2, admitted: 2, claimsByUser });
    expect(await gate.admitClaim({ eventId, userId: 'u3', claimId: randomId('c') })).toMatchObject({
      kind: 'SOLD_OUT',
    });
  });

  it('writes the claim it admits or re-drives to the outbox in the claim record, and nothing else', async () => {
    const gate = createGate(r.redis);
    const eventId = r.eventId();
    await gate.loadEvent(anEvent(eventId, { perUserLimit: 2 }));
    await gate.admitClaim({ eventId, userId: 'alice', claimId: randomId('c') });
    const claimId = randomId('c');
    const before = Date.now();
    const admission = await gate.admitClaim({ eventId, userId: 'alice', claimId });
    const after = Date.now();
    if (admission.kind !== 'ADMITTED') throw new Error(`alice was not admitted: ${admission.kind}`);
    expect(await gate.redriveClaim({ eventId, userId: 'alice', claimId })).toBe(true);

    // The key carries the event; every other field of the record is in the entry, in record order.
    const raw = (await r.redis.xRange(gateKeys(eventId).outbox, '-', '+')) ?? [];
    for (const { message } of raw) expect(Object.keys(message)).toEqual(claimFieldNames.filter((f) => f !== 'eventId'));
    const consumer = createOutboxConsumer(r.redis, { consumerName: 'test', batchSize: 10, claimIdleMs: 60_000 });
    const [, admitted, redriven] = (await consumer.readNew(eventId)).map((entry) => entry.claim);
    const claim = { claimId, eventId, userId: 'alice', seq: admission.seq, slot: admission.slot };
    expect(claim).toMatchObject({ seq: 2, slot: 2 });
    expect(admitted).toEqual({ ...claim, admittedAtMs: expect.any(Number) });
    expect(admitted?.admittedAtMs).toBeGreaterThanOrEqual(before);
    expect(admitted?.admittedAtMs).toBeLessThanOrEqual(after);
    // A re-drive carries the time of the re-drive: the gate keeps no admission time per claim.
    expect(redriven).toEqual({ ...claim, admittedAtMs: expect.any(Number) });
    expect(redriven?.admittedAtMs).toBeGreaterThanOrEqual(after);
  });

  it('forgets deleted events entirely', async () => {
    const gate = createGate(r.redis);
    const eventId = r.eventId();
    await gate.loadEvent(anEvent(eventId));
    await gate.admitClaim({ eventId, userId: 'u', claimId: randomId('c') });
    await createGateHandle(r.redis).deleteEvents([eventId]);
    expect(await r.redis.exists(Object.values(gateKeys(eventId)))).toBe(0);
    expect(await r.redis.sIsMember(activeEventsKey, eventId)).toBe(0);
  });

  it('promise 4: reuses a returned ticket and slot, once', async () => {
    const gate = createGate(r.redis);
    const eventId = r.eventId();
    await gate.loadEvent(anEvent(eventId, { stock: 1 }));
    const first = await gate.admitClaim({ eventId, userId: 'u1', claimId: 'claim-1' });
    expect(first).toEqual({ kind: 'ADMITTED', seq: 1, slot: 1 });
    expect(await gate.returnTicket({ eventId, userId: 'u1', claimId: 'claim-1', seq: 1 })).toBe(true);
    expect(await gate.returnTicket({ eventId, userId: 'u1', claimId: 'claim-1', seq: 1 })).toBe(false);
    expect(await gate.admitClaim({ eventId, userId: 'u2', claimId: 'claim-2' })).toEqual({
      kind: 'ADMITTED',
      seq: 1,
      slot: 1,
    });
    expect(await gate.admitClaim({ eventId, userId: 'u3', claimId: 'claim-3' })).toMatchObject({ kind: 'SOLD_OUT' });
  });
});
