import { eventDefinition } from '../../test/fixtures/tickets.ts';
import { describe, expect, it } from 'vitest';
import type { IssuedTickets } from '../claim.ts';
import { randomId } from '../../test/fixtures/basics.ts';
import { usePrivateRedis } from '../../test/fixtures/datastores.ts';
import { createGate, type Gate, type UserTicket } from './gate.ts';
import { gateKeys } from './keys.ts';
import { type GateRedis, nodeClientFor } from './redis.ts';

/** One claim per user for tickets 1..through, but `gap`. */
const ticketsBut = (through: number, gap: number): UserTicket[] =>
  Array.from({ length: through }, (_, i) => i + 1)
    .filter((seq) => seq !== gap)
    .map((seq) => ({ userId: `u${seq}`, claimId: `c${seq}`, slot: 1, seq }));

const issuedOf = (tickets: UserTicket[]): IssuedTickets => ({
  maxSeq: Math.max(0, ...tickets.map((t) => t.seq)),
  admitted: tickets.length,
  claimsByUser: new Map(tickets.map((t) => [t.userId, [{ claimId: t.claimId, slot: t.slot, seq: t.seq }]])),
});

/** Script calls the node holding the event has run so far (EVALSHA, and EVAL when a script was not cached yet). */
async function scriptCalls(redis: GateRedis, eventId: string): Promise<number> {
  const stats = await (await nodeClientFor(redis, gateKeys(eventId).event)).info('commandstats');
  return [...stats.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

/** What one claim gets: its admission's kind, or the code of the error it got. */
const tryClaim = (gate: Gate, eventId: string, userId: string) =>
  gate.admitClaim({ eventId, userId, claimId: randomId('c') }).then(
    (admission) => admission.kind,
    (error: { code?: string }) => error.code,
  );

describe('repairing an event in the gate', () => {
  // A Redis of its own: script counts and counters no other process moves.
  const r = usePrivateRedis();

  it('repairs 20,000 claims in many small calls, admitting nothing until the last, then hands out the free ticket', async () => {
    const gate = createGate(r.redis);
    const eventId = r.eventId();
    const event = eventDefinition(eventId, { stock: 20_010 });
    const database = ticketsBut(20_001, 777);
    await gate.loadEvent(event, issuedOf(database));
    // A failover to a replica that missed half the users and the counters.
    const k = gateKeys(eventId);
    await r.redis.hDel(
      k.users,
      database.slice(10_000).map((t) => t.userId),
    );
    await r.redis.hSet(k.event, { admitted: 10_000, seq: 10_000 });
    await r.redis.del(k.returned);

    const before = await scriptCalls(r.redis, eventId);
    const whilePaused: Array<string | undefined> = [];
    const repaired = await gate.repairEvent(event, { hold: database, drop: [] }, async (step) => {
      if (step === 'paused') whilePaused.push(await tryClaim(gate, eventId, 'impatient'));
    });
    expect(repaired).toEqual({ admitted: 20_000, seq: 20_001, returned: 1 });
    expect((await scriptCalls(r.redis, eventId)) - before).toBeGreaterThanOrEqual(20);
    expect(whilePaused).toEqual(['GATE_UNAVAILABLE']);
    expect(await gate.listHeldClaims(eventId, 'impatient')).toEqual([]);

    expect(await r.redis.hmGet(k.event, ['pausedBy', 'pausedUntilMs'])).toEqual([null, null]);
    expect(await (await nodeClientFor(r.redis, k.event)).keys(`fc:{${eventId}}:staged:*`)).toEqual([]);
    expect(await r.redis.pTTL(k.returned)).toBe(-1);
    expect(await gate.admitClaim({ eventId, userId: 'next', claimId: randomId('c') })).toMatchObject({ seq: 777 });
    expect(await gate.admitClaim({ eventId, userId: 'after', claimId: randomId('c') })).toMatchObject({ seq: 20_002 });
  });

  it('counts again when a ticket is given back while it counts, so the ticket is handed out once', async () => {
    const gate = createGate(r.redis);
    const eventId = r.eventId();
    const event = eventDefinition(eventId, { stock: 4 });
    await gate.loadEvent(event);
    const claims: Array<{ eventId: string; userId: string; claimId: string; seq: number }> = [];
    for (const userId of ['a', 'b', 'c']) {
      const claimId = randomId('c');
      const admission = await gate.admitClaim({ eventId, userId, claimId });
      if (admission.kind !== 'ADMITTED') throw new Error(`${userId} was not admitted`);
      claims.push({ eventId, userId, claimId, seq: admission.seq });
    }
    const counts: string[] = [];
    const repaired = await gate.repairEvent(event, { hold: [], drop: [] }, async (step) => {
      if (step !== 'counted') return;
      counts.push(step);
      // The retry job gives b's ticket back while the repair counts.
      if (counts.length === 1) expect(await gate.returnTicket(claims[1]!)).toBe(true);
    });
    expect(counts).toHaveLength(2);
    expect(repaired).toEqual({ admitted: 2, seq: 3, returned: 1 });
    expect(await r.redis.lRange(gateKeys(eventId).returned, 0, -1)).toEqual([String(claims[1]!.seq)]);
    expect(await gate.admitClaim({ eventId, userId: 'd', claimId: randomId('c') })).toMatchObject({ seq: 2 });
    expect(await gate.admitClaim({ eventId, userId: 'e', claimId: randomId('c') })).toMatchObject({ seq: 4 });
    expect((await gate.admitClaim({ eventId, userId: 'f', claimId: randomId('c') })).kind).toBe('SOLD_OUT');
  });

  it('stops pausing an event whose repair died once the pause lapses', async () => {
    const gate = createGate(r.redis, { repair: { pauseMs: 0 } });
    const eventId = r.eventId();
    const event = eventDefinition(eventId, { stock: 2 });
    await gate.loadEvent(event);
    // The repair dies right after pausing the event; its pause (0 ms here) lapses on its own.
    await expect(
      gate.repairEvent(event, { hold: [], drop: [] }, (step) => {
        if (step === 'paused') throw new Error('the repair died');
      }),
    ).rejects.toThrow('the repair died');
    expect(await r.redis.hExists(gateKeys(eventId).event, 'pausedUntilMs')).toBe(1);
    expect(await gate.admitClaim({ eventId, userId: 'u', claimId: randomId('c') })).toMatchObject({ kind: 'ADMITTED' });
  });
});
