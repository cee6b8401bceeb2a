import { sql } from 'kysely';
import type { Executor } from '../dialect.ts';

/** Resolves once the database answered a trivial query: the readiness check. */
export async function ping(db: Executor): Promise<void> {
  await sql`SELECT 1`.execute(db);
}
