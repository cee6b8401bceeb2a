import { readdir } from 'node:fs/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId } from '../../test/fixtures/basics.ts';
import { dropTestDatabase, testDatabaseUrl, testedStoreKinds } from '../../test/fixtures/databases.ts';
import { admittedClaim as claimOf } from '../../test/fixtures/tickets.ts';
import type { Executor } from './dialect.ts';
import { migrateThrough, migrateToLatest } from './migrate.ts';
import { createStoreProbe } from './store-probe.ts';
import { createStore, dialectOf, ensureDatabaseExists } from './store.ts';

/** The migration before the newest: a database as the last release left it. */
async function previousMigration(dir: string): Promise<string> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.sql')).sort();
  return files.at(-2)!.replace(/\.sql$/, '');
}

describe.each(testedStoreKinds())('the newest migration on %s', (kind) => {
  const name = randomId('firstcome_m');
  const url = testDatabaseUrl(name, kind);
  const dialect = dialectOf(url);
  let db: Executor;

  beforeAll(async () => {
    await ensureDatabaseExists(url);
    db = dialect.connect({ url, poolSize: 1 });
  });
  afterAll(async () => {
    await db?.destroy();
    await dropTestDatabase(name, kind);
  });

  it('keeps every coupon and failed claim written before it, and the database still refuses what promises 1, 2, 3 and 6 forbid', async () => {
    await migrateThrough({ db, dialect }, await previousMigration(dialect.migrationsDir));
    const store = createStore({ url, poolSize: 2 });
    const probe = createStoreProbe(url);
    try {
      const eventId = randomId('ev');
      // The columns every migration has had: today's store may write ones the previous schema lacks.
      await db.insertInto('events').values({ id: eventId, name: 'drop', stock: 1000, per_user_limit: 2 }).execute();
      const claims = Array.from({ length: 600 }, (_, i) => claimOf(eventId, i + 1, `u${i % 300}`, i < 300 ? 1 : 2));
      expect((await store.insertCoupons(claims)).inserted).toBe(600);
      await store.recordFailedClaims([{ claim: claimOf(eventId, 601, 'late', 1), reason: 'beyond_stock: test' }]);
      const coupons = await probe.coupons(eventId);
      const failed = await probe.failedClaims({ eventId });

      await migrateToLatest({ db, dialect });

      expect(await probe.coupons(eventId)).toEqual(coupons);
      expect(await probe.failedClaims({ eventId })).toEqual(failed);
      const again = await store.insertCoupons([
        claims[0]!,
        claimOf(eventId, 1001, 'new', 1),
        claimOf(eventId, 1, 'new', 1),
        claimOf(eventId, 700, 'u0', 1),
        claimOf(eventId, 701, 'u0', 3),
        claimOf(eventId, 702, 'new', 1),
      ]);
      expect({ ...again, refused: again.refused.map((r) => r.reason.split(':')[0]) }).toEqual({
        inserted: 1,
        duplicates: 1,
        refused: ['beyond_stock', 'ticket_taken', 'slot_taken', 'beyond_limit'],
      });
      // A row written by hand that lies about the event's stock is refused too.
      await expect(
        sql`INSERT INTO coupons (id, event_id, user_id, claim_id, seq, slot, event_stock, event_per_user_limit)
            VALUES ('x', ${eventId}, 'liar', 'c-liar', 1001, 1, 2000, 2)`.execute(db),
      ).rejects.toSatisfy((error) => dialect.classifyError(error)?.kind === 'refusal');
      expect(await store.countCoupons(eventId)).toBe(601);
    } finally {
      await Promise.all([store.destroy(), probe.destroy()]);
    }
  });
});
