// db-lock: the claim is one database transaction that locks the event row (SELECT … FOR UPDATE), checks
// the count and the user's holdings, inserts the coupon and bumps the count. Exact, and serial per event.
// --variant no-lock reads the row without FOR UPDATE: the broken design the harness tests must catch.
import { AppError } from '../../errors.ts';
import { checkAndInsert } from './check-and-insert.ts';
import { parseContestantArgs, runClaimServer, type ClaimVerdict } from './claim-server.ts';
import { openContestantSql } from './contestant-sql.ts';

const args = parseContestantArgs(process.argv.slice(2));
const sql = openContestantSql(args.databaseUrl, args.poolSize);
const lockEvent = args.variant !== 'no-lock';

async function decide(eventId: string, userId: string): Promise<ClaimVerdict> {
  try {
    return await checkAndInsert(sql, eventId, userId, { lockEvent });
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('DB_UNAVAILABLE', `claim transaction failed for ${eventId}`, { cause: error, retryable: true });
  }
}

await runClaimServer(args, decide, () => sql.end());
