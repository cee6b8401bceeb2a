import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { dropTestDatabase, migrateDatabase, testDatabaseUrl } from './fixtures/databases.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
    /** Set by the `cluster` project (vitest.config.ts): the Redis Cluster nodes its files run on. */
    redisClusterNodes?: string;
  }
}

/**
 * Migrates a template database once per run; each test file clones it (fixtures/datastores.ts useDatabase). The
 * name is the run's own, so two runs on one machine never drop each other's template.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const name = `firstcome_template_${randomBytes(4).toString('hex')}`;
  await migrateDatabase(testDatabaseUrl(name));
  project.provide('templateDatabase', name);
  return () => dropTestDatabase(name);
}
