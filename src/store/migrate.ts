import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import { AppError } from '../errors.ts';
import type { Database } from './database.ts';

const migrationsDir = join(import.meta.dirname, 'migrations');

/** Numbered, append-only `.sql` files; each runs once, in a transaction, recorded by Kysely's migrator. */
const sqlFileProvider: MigrationProvider = {
  async getMigrations() {
    const files = (await readdir(migrationsDir)).filter((file) => file.endsWith('.sql')).sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      const text = await readFile(join(migrationsDir, file), 'utf8');
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
};

export async function migrateToLatest(db: Database): Promise<void> {
  const migrator = new Migrator({ db, provider: sqlFileProvider, migrationTableName: 'firstcome_migrations' });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new AppError('DB_UNAVAILABLE', `migration ${failed} failed: ${String((error as Error).message ?? error)}`, {
      cause: error,
    });
  }
}
