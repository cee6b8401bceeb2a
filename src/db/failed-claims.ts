import type { EventId, UserId } from '../claim.ts';
import type { Database } from './database.ts';
import type { FailedClaimState } from './schema.ts';

/** Failed claims not yet issued: those the retry job will try again and those that can never be issued. */
export async function countUnresolvedFailures(db: Database, eventId: EventId): Promise<number> {
  const row = await db
    .selectFrom('failed_claims')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('event_id', '=', eventId)
    .where('state', '!=', 'issued')
    .executeTakeFirstOrThrow();
  return row.count;
}

export async function findUserFailures(
  db: Database,
  eventId: EventId,
  userId: UserId,
): Promise<Array<{ claimId: string; slot: number; state: FailedClaimState }>> {
  const rows = await db
    .selectFrom('failed_claims')
    .select(['claim_id', 'slot', 'state'])
    .where('event_id', '=', eventId)
    .where('user_id', '=', userId)
    .execute();
  return rows.map((r) => ({ claimId: r.claim_id, slot: r.slot, state: r.state }));
}
