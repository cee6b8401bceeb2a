import type { Config } from '../config.ts';
import { createStore, ensureDatabaseExists } from '../store/store.ts';

export async function runMigrate(config: Config): Promise<void> {
  await ensureDatabaseExists(config.DATABASE_URL);
  const store = createStore({ url: config.DATABASE_URL, poolSize: 1 });
  try {
    await store.migrate();
    process.stdout.write('database schema is up to date\n');
  } finally {
    await store.destroy();
  }
}
