import type { Config } from '../config.ts';
import { createDatabase, ensureDatabaseExists } from '../store/database.ts';
import { migrateToLatest } from '../store/migrate.ts';

export async function runMigrate(config: Config): Promise<void> {
  await ensureDatabaseExists(config.DATABASE_URL);
  const db = createDatabase({ url: config.DATABASE_URL, poolSize: 1 });
  try {
    await migrateToLatest(db);
    process.stdout.write('database schema is up to date\n');
  } finally {
    await db.destroy();
  }
}
