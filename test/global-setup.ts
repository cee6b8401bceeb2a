import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createDatabase, ensureDatabaseExists } from '../src/store/database.ts';
import { migrateToLatest } from '../src/store/migrate.ts';
import { adminDatabaseUrl, testDatabaseUrl } from './databases.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}

async function adminQuery(text: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminDatabaseUrl() });
  await admin.connect();
  try {
    await admin.query(text);
  } finally {
    await admin.end();
  }
}

/**
 * Migrates a template database once per run; each test file clones it (harness.ts useDatabase). The
 * name is the run's own, so two runs on one machine never drop each other's template.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const name = `firstcome_template_${randomBytes(4).toString('hex')}`;
  await ensureDatabaseExists(testDatabaseUrl(name));
  const db = createDatabase({ url: testDatabaseUrl(name), poolSize: 1 });
  try {
    await migrateToLatest(db);
  } finally {
    await db.destroy();
  }
  project.provide('templateDatabase', name);
  return () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}
