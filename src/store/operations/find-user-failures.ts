import type { EventId, UserId } from '../../claim.ts';
import type { Executor } from '../dialect.ts';
import type { FailedClaimState } from '../schema.ts';

export interface UserFailure {
  claimId: string;
  slot: number;
  state: FailedClaimState;
}

export async function findUserFailures(db: Executor, eventId: EventId, userId: UserId): Promise<UserFailure[]> {
  const rows = await db
    .selectFrom('failed_claims')
    .select(['claim_id', 'slot', 'state'])
    .where('event_id', '=', eventId)
    .where('user_id', '=', userId)
    .execute();
  return rows.map((r) => ({ claimId: r.claim_id, slot: r.slot, state: r.state }));
}
