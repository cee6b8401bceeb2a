import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import { AppError } from '../errors.ts';
import type { StoreContext } from './dialect.ts';

/** Numbered, append-only `.sql` files; each runs once, in a transaction, recorded by Kysely's migrator. */
const sqlFilesIn = (dir: string): MigrationProvider => ({
  async getMigrations() {
    const files = (await readdir(dir)).filter((file) => file.endsWith('.sql')).sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      const text = await readFile(join(dir, file), 'utf8');
      migrations[file.replace(/\.sql$/, '')] = {
        up: (db) =>
          sql
            .raw(text)
            .execute(db)
            .then(() => undefined),
      };
    }
    return migrations;
  },
});

/**
 * Applies the migrations not yet applied. An unreachable database is an outage (DB_UNAVAILABLE, from
 * map-errors.ts); a migration the database refuses is DB_MIGRATION_FAILED, and retrying will not help.
 */
export function migrateToLatest(context: StoreContext): Promise<void> {
  return migrateThrough(context, undefined);
}

/**
 * Applies the migrations not yet applied up to and including `lastMigration` (a file's name without
 * `.sql`; every one when undefined): a database at an earlier version, for testing a migration on rows
 * written before it, or for measuring the schema as it was.
 */
export async function migrateThrough({ db, dialect }: StoreContext, lastMigration: string | undefined): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: sqlFilesIn(dialect.migrationsDir),
    migrationTableName: 'firstcome_migrations',
  });
  const { error, results } = await (lastMigration === undefined
    ? migrator.migrateToLatest()
    : migrator.migrateTo(lastMigration));
  if (error === undefined) return;
  const failure: unknown = error;
  if (dialect.classifyError(failure)?.kind === 'outage') throw failure;
  const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
  const message = failure instanceof Error ? failure.message : String(failure);
  throw new AppError('DB_MIGRATION_FAILED', `migration ${failed} failed: ${message}`, { cause: failure });
}
