import { describe, expect, it } from 'vitest';
import { randomId } from '../../../test/fixtures/basics.ts';
import { testedStoreKinds } from '../../../test/fixtures/databases.ts';
import { useDatabase } from '../../../test/fixtures/datastores.ts';
import { admittedClaim as claimOf } from '../../../test/fixtures/tickets.ts';

describe.each(testedStoreKinds())('insertCoupons on %s', (kind) => {
  const t = useDatabase(kind);

  async function anEvent(stock: number, perUserLimit = 1) {
    const id = randomId('ev');
    await t.store.insertEvent({ id, name: 'drop', stock, perUserLimit, startsAt: null, endsAt: null });
    return id;
  }

  it('promise 3: writes a batch once, however often Kafka redelivers it', async () => {
    const eventId = await anEvent(1000);
    const claims = Array.from({ length: 500 }, (_, i) => claimOf(eventId, i + 1));
    expect(await t.store.insertCoupons(claims)).toEqual({ inserted: 500, duplicates: 0, refused: [] });
    expect(await t.store.insertCoupons([...claims, ...claims.slice(0, 10)])).toEqual({
      inserted: 0,
      duplicates: 510,
      refused: [],
    });
    expect(await t.store.countCoupons(eventId)).toBe(500);
    // A coupon id nobody can guess: a random (version 4) UUID.
    const v4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect((await t.probe.coupons(eventId)).filter((c) => !v4.test(c.id))).toEqual([]);
  });

  it('promise 6: refuses, in the database itself, a ticket beyond stock, a ticket twice, a slot twice and an unknown event', async () => {
    const eventId = await anEvent(3, 2);
    const good = [claimOf(eventId, 1, 'alice', 1), claimOf(eventId, 2, 'alice', 2)];
    const bad = [
      claimOf(eventId, 4),
      claimOf(eventId, 1, 'bob'),
      claimOf(eventId, 3, 'alice', 2),
      claimOf(eventId, 3, 'alice', 3),
      claimOf(randomId('missing'), 1),
    ];
    const result = await t.store.insertCoupons([...good, ...bad]);
    expect(result.inserted).toBe(2);
    expect(result.refused.map((r) => r.claim)).toEqual(bad);
    expect(result.refused.map((r) => r.reason.split(':')[0])).toEqual([
      'beyond_stock',
      'ticket_taken',
      'slot_taken',
      'beyond_limit',
      'unknown_event',
    ]);
    expect(await t.store.countCoupons(eventId)).toBe(2);
  });

  it('tells a redelivered claim from another claim holding its ticket or slot: the first is a duplicate, the rest refused', async () => {
    const eventId = await anEvent(10, 2);
    const first = [claimOf(eventId, 1, 'alice', 1), claimOf(eventId, 2, 'bob', 1)];
    await t.store.insertCoupons(first);
    const takenTicket = claimOf(eventId, 1, 'carol');
    const takenSlot = claimOf(eventId, 3, 'bob', 1);
    const fresh = claimOf(eventId, 4, 'dave');
    const result = await t.store.insertCoupons([first[0]!, takenTicket, takenSlot, fresh]);
    expect(result.inserted).toBe(1);
    expect(result.duplicates).toBe(1);
    expect(result.refused.map((r) => [r.claim, r.reason.split(':')[0]])).toEqual([
      [takenTicket, 'ticket_taken'],
      [takenSlot, 'slot_taken'],
    ]);
    expect((await t.probe.coupons(eventId)).map((c) => c.claim_id)).toEqual([
      first[0]!.claimId,
      first[1]!.claimId,
      fresh.claimId,
    ]);
  });
});
