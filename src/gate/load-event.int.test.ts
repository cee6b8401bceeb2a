import { eventDefinition } from '../../test/fixtures/tickets.ts';
import { describe, expect, it } from 'vitest';
import type { IssuedTickets } from '../claim.ts';
import { randomId, waitFor } from '../../test/fixtures/basics.ts';
import { usePrivateRedis } from '../../test/fixtures/datastores.ts';
import { createGate, type UserTicket } from './gate.ts';
import { activeEventsKey, gateKeys } from './keys.ts';
import { connectRedis, createRedis, type GateRedis, nodeClientFor } from './redis.ts';

/** `holders` users holding tickets 1..holders+1 but `gap`, as the database would after a dead claim. */
function issuedWithGap(holders: number, gap: number): IssuedTickets {
  const claimsByUser = new Map<string, Array<{ claimId: string; slot: number; seq: number }>>();
  for (let seq = 1; seq <= holders + 1; seq++) {
    if (seq !== gap) claimsByUser.set(`u${seq}`, [{ claimId: `c${seq}`, slot: 1, seq }]);
  }
  return { maxSeq: holders + 1, admitted: holders, claimsByUser };
}

/** Script calls the node holding the event has run so far (EVALSHA, and EVAL when a script was not cached yet). */
async function scriptCalls(redis: GateRedis, eventId: string): Promise<number> {
  const stats = await (await nodeClientFor(redis, gateKeys(eventId).event)).info('commandstats');
  return [...stats.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

describe('loading an event into the gate', () => {
  // A Redis of its own: its script counts and its relay list are this file's alone.
  const r = usePrivateRedis();

  it("puts the event on the relay's list before it can admit: a load whose listing fails admits nothing", async () => {
    const gate = createGate(r.redis);
    const eventId = r.eventId();
    // The list unwritable (a wrong type makes SADD fail), as when its node is down in a cluster.
    await r.redis.set(activeEventsKey, 'not a set');
    try {
      await expect(gate.loadEvent(eventDefinition(eventId, { stock: 5 }))).rejects.toThrow();
      expect(await gate.admitClaim({ eventId, userId: 'u1', claimId: randomId('c') })).toEqual({ kind: 'NO_EVENT' });
    } finally {
      await r.redis.del(activeEventsKey);
    }
    expect(await gate.loadEvent(eventDefinition(eventId, { stock: 5 }))).toBe(true);
    expect(await r.redis.sIsMember(activeEventsKey, eventId)).toBe(1);
    expect((await gate.admitClaim({ eventId, userId: 'u1', claimId: randomId('c') })).kind).toBe('ADMITTED');
  });

  it('loads 20,000 ticket holders through many small script calls, with the free ticket below the highest', async () => {
    const gate = createGate(r.redis);
    const eventId = r.eventId();
    const stock = 20_001;
    const before = await scriptCalls(r.redis, eventId);
    expect(await gate.loadEvent(eventDefinition(eventId, { stock: stock }), issuedWithGap(20_000, 777))).toBe(true);
    // A few hundred users a call, then the free ticket, then the call that makes the event admit.
    expect((await scriptCalls(r.redis, eventId)) - before).toBeGreaterThanOrEqual(20);

    const k = gateKeys(eventId);
    expect(await r.redis.hLen(k.users)).toBe(20_000);
    expect(await r.redis.lRange(k.returned, 0, -1)).toEqual(['777']);
    expect(await gate.readFigures(eventId)).toMatchObject({ stock, admitted: 20_000 });
    expect(await gate.listHeldClaims(eventId, 'u20001')).toEqual([{ claimId: 'c20001', slot: 1, seq: 20_001 }]);
    // The staging keys were renamed into place: nothing of the load is left to expire.
    expect(await (await nodeClientFor(r.redis, k.event)).keys(`fc:{${eventId}}:staged:*`)).toEqual([]);
    expect(await r.redis.pTTL(k.users)).toBe(-1);
    expect(await gate.admitClaim({ eventId, userId: 'late', claimId: randomId('c') })).toEqual({
      kind: 'ADMITTED',
      seq: 777,
      slot: 1,
    });
    expect((await gate.admitClaim({ eventId, userId: 'later', claimId: randomId('c') })).kind).toBe('SOLD_OUT');
  });

  it('lets one process of the deployment load an event: another waits for it, reads nothing, and resets nothing', async () => {
    const other = await connectRedis(createRedis(r.options), () => undefined);
    try {
      const first = createGate(r.redis);
      const second = createGate(other);
      const eventId = r.eventId();
      const tickets: UserTicket[] = [1, 2, 4].map((seq) => ({ userId: `u${seq}`, claimId: `c${seq}`, slot: 1, seq }));
      let release: () => void = () => undefined;
      const released = new Promise<void>((resolve) => (release = resolve));
      let isFirstReading = false;
      const firstLoad = first.loadEvent(eventDefinition(eventId, { stock: 5 }), async (onPage) => {
        isFirstReading = true;
        await onPage(tickets.slice(0, 2));
        await released;
        await onPage(tickets.slice(2));
      });
      await waitFor('the first load to read the database', () => isFirstReading);

      let secondReads = 0;
      const secondLoad = second.loadEvent(eventDefinition(eventId, { stock: 5 }), async (onPage) => {
        secondReads++;
        await onPage(tickets);
      });
      // Half-loaded: the event does not admit yet, and the second process waits.
      expect(await first.admitClaim({ eventId, userId: 'early', claimId: randomId('c') })).toEqual({
        kind: 'NO_EVENT',
      });
      release();
      expect(await Promise.all([firstLoad, secondLoad])).toEqual([true, false]);
      expect(secondReads).toBe(0);
      expect(await first.readFigures(eventId)).toMatchObject({ admitted: 3 });
      expect(await r.redis.lRange(gateKeys(eventId).returned, 0, -1)).toEqual(['3']);
      expect(await r.redis.exists(gateKeys(eventId).loading)).toBe(0);
    } finally {
      other.destroy();
    }
  });
});
