import type { AdmittedClaim } from '../../claim.ts';
import type { StoreContext } from '../dialect.ts';
import { claimOfRow } from './rows.ts';

/** A dead claim whose ticket the gate may still count. */
export interface DeadClaim {
  claim: AdmittedClaim;
  /**
   * Its ticket and slot are really free: within the event's stock and limit, and no coupon or claim being
   * retried holds that seq, or that slot of the user. Only then may the gate hand them out again.
   */
  isTicketFree: boolean;
}

/**
 * Settles the tickets of up to `limit` dead claims with the gate, each row locked (SKIP LOCKED) so that
 * several workers share the work. `giveBack` is called for free tickets and says whether the gate took
 * the ticket back. If it throws, what was settled before is kept and its error is rethrown as it is.
 */
export async function settleDeadClaims(
  { db, dialect }: StoreContext,
  limit: number,
  giveBack: (dead: DeadClaim) => Promise<boolean>,
): Promise<{ returned: DeadClaim[]; kept: DeadClaim[] }> {
  let failure: Error | undefined;
  const settled = await db.transaction().execute(async (trx) => {
    const rows = await dialect.lockUnsettledDeadClaims(trx, limit);
    const done: Array<{ dead: DeadClaim; isReturned: boolean }> = [];
    for (const row of rows) {
      const dead = { claim: claimOfRow(row), isTicketFree: row.is_ticket_free };
      try {
        done.push({ dead, isReturned: dead.isTicketFree && (await giveBack(dead)) });
      } catch (error) {
        failure = error instanceof Error ? error : new Error(String(error));
        break;
      }
    }
    if (done.length > 0) {
      await dialect.recordSettledTickets(
        trx,
        done.map((d) => ({ claimId: d.dead.claim.claimId, isReturned: d.isReturned })),
      );
    }
    return done;
  });
  if (failure) throw failure;
  return {
    returned: settled.filter((d) => d.isReturned).map((d) => d.dead),
    kept: settled.filter((d) => !d.isReturned).map((d) => d.dead),
  };
}
