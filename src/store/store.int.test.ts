import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, randomId } from '../../test/fixtures/basics.ts';
import { type StoreKind, testDatabaseUrl, testedStoreKinds } from '../../test/fixtures/databases.ts';
import { useDatabase } from '../../test/fixtures/datastores.ts';
import { migrateToLatest } from './migrate.ts';
import { createStore, dialectOf, ensureDatabaseExists } from './store.ts';

const anEvent = (id: string) => ({ id, name: 'drop', stock: 3, perUserLimit: 1, startsAt: null, endsAt: null });

// Where no server listens: the test server's URL, user and all, on a free port.
const unreachableUrl = async (kind: StoreKind) => {
  const url = new URL(testDatabaseUrl('nowhere', kind));
  url.port = String(await freePort());
  return url.toString();
};

describe.each(testedStoreKinds())('the store on %s', (kind) => {
  const t = useDatabase(kind);

  it('answers an unreachable database with one retryable DB_UNAVAILABLE, whatever the operation', async () => {
    const url = await unreachableUrl(kind);
    const store = createStore({ url, poolSize: 1 });
    try {
      const unavailable = { code: 'DB_UNAVAILABLE', retryable: true };
      await expect(store.countCoupons('ev_1')).rejects.toMatchObject(unavailable);
      await expect(
        store.insertCoupons([{ claimId: 'c', eventId: 'ev_1', userId: 'u', seq: 1, slot: 1, admittedAtMs: 0 }]),
      ).rejects.toMatchObject(unavailable);
      await expect(store.migrate()).rejects.toMatchObject(unavailable);
      await expect(store.ping()).rejects.toMatchObject(unavailable);
      await expect(ensureDatabaseExists(url)).rejects.toMatchObject(unavailable);
    } finally {
      await store.destroy();
    }
  });

  it('refuses an event id twice with EVENT_EXISTS, and keeps the first event', async () => {
    const id = randomId('ev');
    await t.store.insertEvent(anEvent(id));
    await expect(t.store.insertEvent({ ...anEvent(id), name: 'again' })).rejects.toMatchObject({
      code: 'EVENT_EXISTS',
      retryable: false,
    });
    expect((await t.store.findEvent(id))?.name).toBe('drop');
  });

  it('calls a migration the database refuses DB_MIGRATION_FAILED, not retryable, and never records it as applied', async () => {
    const dialect = dialectOf(t.url);
    const dir = await mkdtemp(join(tmpdir(), 'firstcome-migrations-'));
    await cp(dialect.migrationsDir, dir, { recursive: true });
    await writeFile(join(dir, '9999_broken.sql'), 'CREATE TABLE half_done (id int);\nSELECT * FROM no_such_table;\n');
    const db = dialect.connect({ url: t.url, poolSize: 1 });
    try {
      const migrate = () => migrateToLatest({ db, dialect: { ...dialect, migrationsDir: dir } });
      const refused = {
        code: 'DB_MIGRATION_FAILED',
        retryable: false,
        message: expect.stringMatching(/^migration 9999_broken failed: .*no_such_table/),
      };
      await expect(migrate()).rejects.toMatchObject(refused);
      // Not recorded, so the next start tries it again, and fails until someone mends it.
      await expect(migrate()).rejects.toMatchObject({
        code: 'DB_MIGRATION_FAILED',
        message: expect.stringMatching(/^migration 9999_broken failed/),
      });
      // PostgreSQL's DDL is transactional: nothing of the file stays. MySQL's is not (the file's header says so).
      const tables = (await db.introspection.getTables()).map((table) => table.name);
      if (kind === 'postgres') expect(tables).not.toContain('half_done');
    } finally {
      await db.destroy();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
