import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, randomId } from '../../test/fixtures/basics.ts';
import { useDatabase } from '../../test/fixtures/datastores.ts';
import { migrateToLatest } from './migrate.ts';
import { postgresDialect } from './postgres/postgres-dialect.ts';
import { createStore, ensureDatabaseExists } from './store.ts';

const anEvent = (id: string) => ({ id, name: 'drop', stock: 3, perUserLimit: 1, startsAt: null, endsAt: null });

describe('the store', () => {
  const t = useDatabase();

  it('answers an unreachable database with one retryable DB_UNAVAILABLE, whatever the operation', async () => {
    const url = `postgres://postgres@127.0.0.1:${await freePort()}/nowhere`;
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

  it('calls a migration the database refuses DB_MIGRATION_FAILED, not retryable, and applies none of it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'firstcome-migrations-'));
    await cp(postgresDialect.migrationsDir, dir, { recursive: true });
    await writeFile(join(dir, '9999_broken.sql'), 'CREATE TABLE half_done (id int);\nSELECT * FROM no_such_table;\n');
    const db = postgresDialect.connect({ url: t.url, poolSize: 1 });
    try {
      await expect(migrateToLatest({ db, dialect: { ...postgresDialect, migrationsDir: dir } })).rejects.toMatchObject({
        code: 'DB_MIGRATION_FAILED',
        retryable: false,
        message: expect.stringMatching(/^migration 9999_broken failed: .*no_such_table/),
      });
      const tables = await db.introspection.getTables();
      expect(tables.map((table) => table.name)).not.toContain('half_done');
    } finally {
      await db.destroy();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
