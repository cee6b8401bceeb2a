import type { AdmittedClaim, EventId, UserId } from '../claim.ts';
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

export interface FailedClaimInput {
  claim: AdmittedClaim;
  reason: string;
}

/**
 * Records claims the database refused, in their own statement, for the retry job. A claim recorded
 * before (Kafka redelivered it) keeps its attempt count and state: only the retry job moves those.
 */
export async function recordFailedClaims(db: Database, failures: FailedClaimInput[]): Promise<void> {
  if (failures.length === 0) return;
  await db
    .insertInto('failed_claims')
    .values(
      failures.map(({ claim, reason }) => ({
        claim_id: claim.claimId,
        event_id: claim.eventId,
        user_id: claim.userId,
        seq: claim.seq,
        slot: claim.slot,
        admitted_at: new Date(claim.admittedAtMs),
        error: reason,
      })),
    )
    .onConflict((oc) => oc.column('claim_id').doNothing())
    .execute();
}
