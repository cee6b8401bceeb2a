import { describe, expect, it } from 'vitest';
import { randomId } from '../../test/fixtures/basics.ts';
import { testedStoreKinds } from '../../test/fixtures/databases.ts';
import { useDatabase } from '../../test/fixtures/datastores.ts';
import { dialectOf } from './store.ts';

/**
 * Promise 6 without firstcome's writer: rows written straight into coupons, as a script or a bug might,
 * and what the schema alone makes of them.
 */
describe.each(testedStoreKinds())('the schema on %s', (kind) => {
  const t = useDatabase(kind);

  async function refusalOf(row: Record<string, string | number>): Promise<string | undefined> {
    const dialect = dialectOf(t.url);
    const db = dialect.connect({ url: t.url, poolSize: 1 });
    try {
      await db
        .insertInto('coupons')
        .values({ claim_id: randomId('c'), user_id: randomId('u'), slot: 1, ...row } as never)
        .execute();
      return undefined;
    } catch (error) {
      const meaning = dialect.classifyError(error);
      return meaning?.kind === 'refusal' ? meaning.cause : `not a refusal: ${String(error)}`;
    } finally {
      await db.destroy();
    }
  }

  it('promise 6: refuses a coupon beyond stock or beyond the limit, whatever stock and limit the row claims', async () => {
    const eventId = randomId('ev');
    await t.store.insertEvent({ id: eventId, name: 'drop', stock: 3, perUserLimit: 2, startsAt: null, endsAt: null });
    const terms = { event_id: eventId, event_stock: 3, event_per_user_limit: 2 };
    expect(await refusalOf({ ...terms, seq: 1, user_id: 'alice' })).toBeUndefined();

    expect(await refusalOf({ ...terms, seq: 4 })).toBe('beyond_stock');
    expect(await refusalOf({ ...terms, seq: 0 })).toBe('beyond_stock');
    expect(await refusalOf({ ...terms, seq: 2, slot: 3 })).toBe('beyond_limit');
    // A row that lies about the event's stock or limit is refused by the composite foreign key.
    expect(await refusalOf({ ...terms, event_stock: 1000, seq: 4 })).toBe('unknown_event');
    expect(await refusalOf({ ...terms, event_per_user_limit: 10, seq: 2, slot: 3 })).toBe('unknown_event');
    expect(await refusalOf({ ...terms, event_id: randomId('missing'), seq: 1 })).toBe('unknown_event');
    expect(await refusalOf({ ...terms, seq: 1, user_id: 'bob' })).toBe('ticket_taken');
    expect(await refusalOf({ ...terms, seq: 2, user_id: 'alice' })).toBe('slot_taken');

    expect((await t.probe.coupons(eventId)).map((c) => [c.seq, c.user_id, c.slot])).toEqual([[1, 'alice', 1]]);
  });

  it("promise 6: an event's stock and limit cannot change under its coupons, nor the event go", async () => {
    const eventId = randomId('ev');
    await t.store.insertEvent({ id: eventId, name: 'drop', stock: 3, perUserLimit: 2, startsAt: null, endsAt: null });
    expect(await refusalOf({ event_id: eventId, event_stock: 3, event_per_user_limit: 2, seq: 3 })).toBeUndefined();
    const db = dialectOf(t.url).connect({ url: t.url, poolSize: 1 });
    try {
      const events = () => db.updateTable('events').where('id', '=', eventId);
      await expect(events().set({ stock: 2 }).execute()).rejects.toThrow();
      await expect(events().set({ per_user_limit: 1 }).execute()).rejects.toThrow();
      await expect(db.deleteFrom('events').where('id', '=', eventId).execute()).rejects.toThrow();
      expect(await t.store.findEvent(eventId)).toMatchObject({ stock: 3, perUserLimit: 2 });
      expect(await t.store.closeEvent(eventId)).toMatchObject({ closedAt: expect.any(Date) });
    } finally {
      await db.destroy();
    }
  });
});
