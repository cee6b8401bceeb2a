import { eventDefinition } from '../../test/fixtures/tickets.ts';
import { describe, expect, it } from 'vitest';
import { randomId, waitFor } from '../../test/fixtures/basics.ts';
import { dropPubSubConnections, usePrivateRedis } from '../../test/fixtures/datastores.ts';
import { type Admission, createGate } from './gate.ts';
import { createVerdictCache } from './verdict-cache.ts';

const generationOf = (admission: Admission): number => {
  if (admission.kind !== 'SOLD_OUT' && admission.kind !== 'ENDED') throw new Error(`not final: ${admission.kind}`);
  return admission.generation;
};

describe('the generation of an event in the gate', () => {
  // A Redis of its own: its gate-changes channel carries only this file's notices.
  const r = usePrivateRedis();

  it('keeps a sold-out verdict out of memory when a restock notice arrives between the script call and remember()', async () => {
    const gate = createGate(r.redis);
    const eventId = r.eventId();
    await gate.loadEvent(eventDefinition(eventId, { stock: 1 }));
    const first = await gate.admitClaim({ eventId, userId: 'u1', claimId: 'claim-1' });
    if (first.kind !== 'ADMITTED') throw new Error(`u1 was not admitted: ${first.kind}`);

    // The route stamps a claim with the cache's clock when it sends it; here that clock is performance.now().
    const verdicts = createVerdictCache({ now: () => performance.now() });
    const unsubscribe = await r.gate.subscribeChanges(verdicts, () => undefined);
    try {
      // The claim is sent and the gate answers SOLD_OUT; its answer is held back, as on a slow connection.
      const askedAtMs = performance.now();
      const sold = await gate.admitClaim({ eventId, userId: 'u2', claimId: randomId('c') });
      expect(sold.kind).toBe('SOLD_OUT');

      // Meanwhile the ticket comes back and every process hears of it.
      expect(await gate.returnTicket({ eventId, userId: 'u1', claimId: 'claim-1', seq: first.seq })).toBe(true);
      verdicts.remember(eventId, 'SOLD_OUT', { generation: generationOf(sold), askedAtMs: performance.now() });
      await gate.publishChange({ kind: 'restocked', eventId });
      await waitFor('the restock notice', () => verdicts.get(eventId) === undefined);

      // Now the old answer reaches remember(): it is older than the notice, so it is not remembered.
      verdicts.remember(eventId, 'SOLD_OUT', { generation: generationOf(sold), askedAtMs });
      expect(verdicts.get(eventId)).toBeUndefined();

      // The ticket that came back is there to be claimed; the next sell-out carries the new generation.
      expect((await gate.admitClaim({ eventId, userId: 'u3', claimId: randomId('c') })).kind).toBe('ADMITTED');
      const next = await gate.admitClaim({ eventId, userId: 'u4', claimId: randomId('c') });
      expect(generationOf(next)).toBe(generationOf(sold) + 1);
      verdicts.remember(eventId, 'SOLD_OUT', { generation: generationOf(next), askedAtMs: performance.now() });
      expect(verdicts.get(eventId)).toBe('SOLD_OUT');
    } finally {
      await unsubscribe();
    }
  });

  it('forgets a remembered sell-out when its subscription reconnects, since notices sent meanwhile are lost', async () => {
    const gate = createGate(r.redis);
    const eventId = r.eventId();
    await gate.loadEvent(eventDefinition(eventId, { stock: 1 }));
    await gate.admitClaim({ eventId, userId: 'u1', claimId: randomId('c') });
    const sold = await gate.admitClaim({ eventId, userId: 'u2', claimId: randomId('c') });
    // A memory that outlives the test: only the reconnect can clear it.
    const verdicts = createVerdictCache({ soldOutMemoryMs: 3_600_000 });
    const unsubscribe = await r.gate.subscribeChanges(verdicts, () => undefined);
    try {
      verdicts.remember(eventId, 'SOLD_OUT', { generation: generationOf(sold), askedAtMs: performance.now() });
      expect(verdicts.get(eventId)).toBe('SOLD_OUT');
      await dropPubSubConnections(r.redis);
      await waitFor('the subscription to reconnect', () => verdicts.get(eventId) === undefined);
    } finally {
      await unsubscribe();
    }
  });

  it('is raised by a close and by a repair', async () => {
    const gate = createGate(r.redis);
    const eventId = r.eventId();
    const event = eventDefinition(eventId, { stock: 1 });
    await gate.loadEvent(event);
    await gate.admitClaim({ eventId, userId: 'u1', claimId: 'claim-1' });
    const sold = generationOf(await gate.admitClaim({ eventId, userId: 'u2', claimId: randomId('c') }));

    await gate.repairEvent(event, { hold: [], drop: [] });
    const repaired = generationOf(await gate.admitClaim({ eventId, userId: 'u2', claimId: randomId('c') }));
    expect(repaired).toBeGreaterThan(sold);

    expect(await gate.endEvent(eventId, Date.now())).toBe(true);
    const ended = await gate.admitClaim({ eventId, userId: 'u2', claimId: randomId('c') });
    expect(ended.kind).toBe('ENDED');
    expect(generationOf(ended)).toBeGreaterThan(repaired);
  });
});
