import type { EventId, UserId } from '../../claim.ts';
import type { Executor, StoreContext } from '../dialect.ts';
import type { FailedClaimState } from '../schema.ts';
import { countCoupons } from './count-coupons.ts';
import { type IssuedTicket, pageIssuedTickets } from './stream-issued-tickets.ts';

/** What the database holds for an event besides its tickets, for reconcile. */
export interface EventTickets {
  coupons: number;
  /** Every failed claim of the event, whatever its state. */
  failed: Array<{ claimId: string; userId: UserId; seq: number; slot: number; state: FailedClaimState }>;
}

/**
 * One snapshot: the event's coupons counted, its failed claims, and the tickets it holds (coupons and
 * claims being retried) handed to `onPage` page by page, so a big event never sits in memory whole. A
 * claim the worker or the retry job moves meanwhile is seen before or after the move, never half-way.
 */
export function readEventTickets(
  { db, dialect }: StoreContext,
  eventId: EventId,
  onPage: (page: IssuedTicket[]) => Promise<boolean>,
  pageSize: number,
): Promise<EventTickets> {
  return dialect.readSnapshot(db, async (snapshot) => {
    const coupons = await countCoupons(snapshot, eventId);
    const failed = await listEventFailedClaims(snapshot, eventId);
    await pageIssuedTickets(snapshot, eventId, onPage, pageSize);
    return { coupons, failed };
  });
}

async function listEventFailedClaims(db: Executor, eventId: EventId): Promise<EventTickets['failed']> {
  const rows = await db
    .selectFrom('failed_claims')
    .select(['claim_id', 'user_id', 'seq', 'slot', 'state'])
    .where('event_id', '=', eventId)
    .execute();
  return rows.map((r) => ({ claimId: r.claim_id, userId: r.user_id, seq: r.seq, slot: r.slot, state: r.state }));
}
