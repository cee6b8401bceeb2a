import type { Insertable } from 'kysely';
import type { Executor } from '../dialect.ts';
import type { FailedClaimsTable } from '../schema.ts';

/** claim_id is failed_claims' only unique key, so ON DUPLICATE KEY can only mean "recorded before". */
export async function recordFailedClaims(db: Executor, rows: Insertable<FailedClaimsTable>[]): Promise<void> {
  await db
    .insertInto('failed_claims')
    .values(rows)
    .onDuplicateKeyUpdate((eb) => ({ claim_id: eb.ref('failed_claims.claim_id') }))
    .execute();
}
