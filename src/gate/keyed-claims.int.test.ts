import { eventDefinition } from '../../test/fixtures/tickets.ts';
import { describe, expect, it } from 'vitest';
import type { EventDefinition } from '../claim.ts';
import { randomId } from '../../test/fixtures/basics.ts';
import { usePrivateRedis } from '../../test/fixtures/datastores.ts';
import { createGate } from './gate.ts';
import { gateKeys } from './keys.ts';

const anEvent = (id: string, overrides: Partial<EventDefinition> = {}) =>
  eventDefinition(id, { stock: 2, ...overrides });

const dayMs = 86_400_000;

describe('claims with an idempotency key', () => {
  // A Redis of its own: a relay on the shared one would drain the outboxes these tests count.
  const r = usePrivateRedis();

  it('replays an admitted keyed claim to the same user and key after the limit, the sell-out and the close', async () => {
    const gate = createGate(r.redis);
    const eventId = r.eventId();
    await gate.loadEvent(anEvent(eventId));
    const claim = (userId: string, idempotencyKey?: string) =>
      gate.admitClaim({ eventId, userId, claimId: randomId('c'), idempotencyKey });

    const admitted = await claim('alice', 'key-1');
    expect(admitted).toEqual({ kind: 'ADMITTED', seq: 1, slot: 1 });
    const [claimId] = (await gate.listHeldClaims(eventId, 'alice')).map((held) => held.claimId);
    const replay = { kind: 'REPLAYED', seq: 1, slot: 1, claimId };

    expect(await claim('alice', 'key-1')).toEqual(replay);
    expect((await claim('alice')).kind).toBe('LIMIT_REACHED');
    expect((await claim('bob', 'key-1')).kind).toBe('ADMITTED');
    expect((await claim('carol', 'key-1')).kind).toBe('SOLD_OUT');
    expect(await claim('alice', 'key-1')).toEqual(replay);
    expect(await gate.endEvent(eventId, Date.now())).toBe(true);
    expect(await claim('alice', 'key-1')).toEqual(replay);

    expect(await r.redis.xLen(gateKeys(eventId).outbox)).toBe(2);
    expect(await gate.listHeldClaims(eventId, 'alice')).toHaveLength(1);
  });

  it('decides a key whose claim was refused afresh', async () => {
    const gate = createGate(r.redis);
    const eventId = r.eventId();
    await gate.loadEvent(anEvent(eventId, { stock: 1 }));
    const first = await gate.admitClaim({ eventId, userId: 'alice', claimId: 'claim-a' });
    if (first.kind !== 'ADMITTED') throw new Error(`alice was not admitted: ${first.kind}`);
    expect((await gate.admitClaim({ eventId, userId: 'bob', claimId: 'claim-b1', idempotencyKey: 'k' })).kind).toBe(
      'SOLD_OUT',
    );
    expect(await gate.returnTicket({ eventId, userId: 'alice', claimId: 'claim-a', seq: first.seq })).toBe(true);
    expect(await gate.admitClaim({ eventId, userId: 'bob', claimId: 'claim-b2', idempotencyKey: 'k' })).toEqual({
      kind: 'ADMITTED',
      seq: 1,
      slot: 1,
    });
    expect(await gate.admitClaim({ eventId, userId: 'bob', claimId: 'claim-b3', idempotencyKey: 'k' })).toEqual({
      kind: 'REPLAYED',
      seq: 1,
      slot: 1,
      claimId: 'claim-b2',
    });
  });

  it("forgets keys a day after the event's end, or a week after the last keyed claim of an event without an end", async () => {
    const gate = createGate(r.redis);
    const ending = r.eventId();
    const endsAt = new Date(Date.now() + 3_600_000);
    await gate.loadEvent(anEvent(ending, { endsAt }));
    await gate.admitClaim({ eventId: ending, userId: 'alice', claimId: randomId('c'), idempotencyKey: 'k' });
    expect(await r.redis.pExpireTime(gateKeys(ending).keyedClaims)).toBe(endsAt.getTime() + dayMs);

    const endless = r.eventId();
    await gate.loadEvent(anEvent(endless));
    await gate.admitClaim({ eventId: endless, userId: 'alice', claimId: randomId('c'), idempotencyKey: 'k' });
    const ttlMs = await r.redis.pTTL(gateKeys(endless).keyedClaims);
    expect(ttlMs).toBeGreaterThan(6 * dayMs);
    expect(ttlMs).toBeLessThanOrEqual(7 * dayMs);
  });
});
