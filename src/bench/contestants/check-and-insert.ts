import { randomUUID } from 'node:crypto';
import { AppError } from '../../errors.ts';
import type { ClaimVerdict } from './claim-server.ts';
import type { ContestantSql } from './contestant-sql.ts';

/**
 * db-lock's and redis-lock's one transaction per claim: read the event row (`lockEvent`: FOR UPDATE), check the
 * count and the user's holdings, insert the coupon, bump the count. A claim refused writes nothing.
 */
export const checkAndInsert = (
  sql: ContestantSql,
  eventId: string,
  userId: string,
  { lockEvent }: { lockEvent: boolean },
): Promise<ClaimVerdict> =>
  sql.inTransaction(async (statements) => {
    const event = await statements.readEvent(eventId, lockEvent);
    if (!event) throw new AppError('EVENT_NOT_FOUND', `No event has the id "${eventId}".`);
    if (event.issued >= event.stock) return { kind: 'SOLD_OUT' };
    if ((await statements.countHeld(eventId, userId)) >= event.perUserLimit) return { kind: 'LIMIT_REACHED' };
    const claimId = randomUUID();
    await statements.insertCoupon(eventId, userId, claimId);
    await statements.bumpIssued(eventId);
    return { kind: 'ADMITTED', claimId };
  });
