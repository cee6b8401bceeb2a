import { createDatabase, ensureDatabaseExists } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { adminDatabaseUrl, templateDatabaseUrl } from './databases.ts';
import pg from 'pg';

/** Migrates a template database once per run; each test file clones it (see harness.ts useDatabase). */
export default async function setup(): Promise<void> {
  const admin = new pg.Client({ connectionString: adminDatabaseUrl() });
  await admin.connect();
  try {
    // A template left from an older schema would hand every file stale tables: rebuild it each run.
    await admin.query(`DROP DATABASE IF EXISTS firstcome_template WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  await ensureDatabaseExists(templateDatabaseUrl());
  const db = createDatabase({ url: templateDatabaseUrl(), poolSize: 1 });
  try {
    await migrateToLatest(db);
  } finally {
    await db.destroy();
  }
}
