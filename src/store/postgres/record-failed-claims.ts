import type { Insertable } from 'kysely';
import type { Executor } from '../dialect.ts';
import type { FailedClaimsTable } from '../schema.ts';

export async function recordFailedClaims(db: Executor, rows: Insertable<FailedClaimsTable>[]): Promise<void> {
  await db
    .insertInto('failed_claims')
    .values(rows)
    .onConflict((oc) => oc.column('claim_id').doNothing())
    .execute();
}
