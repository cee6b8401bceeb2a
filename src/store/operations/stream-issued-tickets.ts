import type { EventId, UserId } from '../../claim.ts';
import type { Executor, StoreContext } from '../dialect.ts';

/** One ticket the database holds: a coupon, or a claim being retried. */
export interface IssuedTicket {
  userId: UserId;
  claimId: string;
  slot: number;
  seq: number;
}

/**
 * The tickets the database holds for an event (coupons, then claims being retried that have no coupon
 * yet), `pageSize` at a time, all read on one snapshot: a big event never sits in memory whole, and a
 * claim the worker or the retry job moves meanwhile is seen once. Stops early when `onPage` answers false.
 */
export function streamIssuedTickets(
  { db, dialect }: StoreContext,
  eventId: EventId,
  onPage: (page: IssuedTicket[]) => Promise<boolean>,
  pageSize: number,
): Promise<void> {
  return dialect.readSnapshot(db, async (snapshot) => {
    await pageIssuedTickets(snapshot, eventId, onPage, pageSize);
  });
}

/** The same pages, read on a snapshot the caller holds; resolves false when `onPage` stopped it. */
export async function pageIssuedTickets(
  snapshot: Executor,
  eventId: EventId,
  onPage: (page: IssuedTicket[]) => Promise<boolean>,
  pageSize: number,
): Promise<boolean> {
  // Pages are ranges of tickets on the ticket's unique key (event_id, seq): each reads at most pageSize
  // rows whatever plan the database picks (a plan made on stale statistics right after a drop would
  // otherwise read every row after the last page, for every page).
  const highest = await snapshot
    .selectFrom('coupons')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .where('event_id', '=', eventId)
    .executeTakeFirst();
  for (let afterSeq = 0; afterSeq < (highest?.seq ?? 0); afterSeq += pageSize) {
    const rows = await snapshot
      .selectFrom('coupons')
      .select(['claim_id', 'user_id', 'seq', 'slot'])
      .where('event_id', '=', eventId)
      .where('seq', '>', afterSeq)
      .where('seq', '<=', afterSeq + pageSize)
      .orderBy('seq')
      .execute();
    if (rows.length > 0 && !(await onPage(rows.map(ticketOfRow)))) return false;
  }
  // A claim being retried whose coupon landed shows in both tables until the next retry pass: once.
  for (let afterClaimId = ''; ;) {
    const rows = await snapshot
      .selectFrom('failed_claims as f')
      .select(['f.claim_id', 'f.user_id', 'f.seq', 'f.slot'])
      .where('f.event_id', '=', eventId)
      .where('f.state', '=', 'retrying')
      .where('f.claim_id', '>', afterClaimId)
      .where((eb) =>
        eb.not(eb.exists(eb.selectFrom('coupons as c').select('c.claim_id').whereRef('c.claim_id', '=', 'f.claim_id'))),
      )
      .orderBy('f.claim_id')
      .limit(pageSize)
      .execute();
    if (rows.length > 0 && !(await onPage(rows.map(ticketOfRow)))) return false;
    const last = rows.at(-1);
    if (!last || rows.length < pageSize) break;
    afterClaimId = last.claim_id;
  }
  return true;
}

const ticketOfRow = (row: { claim_id: string; user_id: string; seq: number; slot: number }): IssuedTicket => ({
  userId: row.user_id,
  claimId: row.claim_id,
  slot: row.slot,
  seq: row.seq,
});
