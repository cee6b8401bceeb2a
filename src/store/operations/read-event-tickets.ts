import type { EventId, IssuedTickets, UserId } from '../../claim.ts';
import type { Executor, StoreContext } from '../dialect.ts';
import type { FailedClaimState } from '../schema.ts';
import { countCoupons } from './count-coupons.ts';
import { loadIssuedTickets } from './load-issued-tickets.ts';

/** What the database holds for an event, read in one snapshot, for reconcile. */
export interface EventTickets {
  /** Coupons and claims being retried: the tickets the database holds. */
  issued: IssuedTickets;
  coupons: number;
  /** Every failed claim of the event, whatever its state. */
  failed: Array<{ claimId: string; userId: UserId; seq: number; slot: number; state: FailedClaimState }>;
}

/** One snapshot: a claim the worker or the retry job moves meanwhile is seen before or after the move, never half-way. */
export function readEventTickets({ db, dialect }: StoreContext, eventId: EventId): Promise<EventTickets> {
  return dialect.readSnapshot(db, async (snapshot) => ({
    issued: await loadIssuedTickets(snapshot, eventId),
    coupons: await countCoupons(snapshot, eventId),
    failed: await listEventFailedClaims(snapshot, eventId),
  }));
}

async function listEventFailedClaims(db: Executor, eventId: EventId): Promise<EventTickets['failed']> {
  const rows = await db
    .selectFrom('failed_claims')
    .select(['claim_id', 'user_id', 'seq', 'slot', 'state'])
    .where('event_id', '=', eventId)
    .execute();
  return rows.map((r) => ({ claimId: r.claim_id, userId: r.user_id, seq: r.seq, slot: r.slot, state: r.state }));
}
