// db-lock: the claim is one PostgreSQL transaction that locks the event row (SELECT … FOR UPDATE), checks
// the count and the user's holdings, inserts the coupon and bumps the count. Exact, and serial per event.
// --variant no-lock reads the row without FOR UPDATE: the broken design the harness tests must catch.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { AppError } from '../../errors.ts';
import { parseContestantArgs, runClaimServer, type ClaimVerdict } from './claim-server.ts';

const args = parseContestantArgs(process.argv.slice(2));
const pool = new pg.Pool({ connectionString: args.databaseUrl, max: args.poolSize });
pool.on('error', () => undefined);

const readEvent = {
  name: 'read-event',
  text: `SELECT stock, per_user_limit, issued FROM events WHERE id = $1${args.variant === 'no-lock' ? '' : ' FOR UPDATE'}`,
};
const countHeld = {
  name: 'count-held',
  text: 'SELECT count(*)::int AS held FROM coupons WHERE event_id = $1 AND user_id = $2',
};
const insertCoupon = {
  name: 'insert-coupon',
  text: 'INSERT INTO coupons (event_id, user_id, claim_id) VALUES ($1, $2, $3)',
};
const countIssued = { name: 'count-issued', text: 'UPDATE events SET issued = issued + 1 WHERE id = $1' };

interface EventRow {
  stock: number;
  per_user_limit: number;
  issued: number;
}

async function decide(eventId: string, userId: string): Promise<ClaimVerdict> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const event = (await client.query<EventRow>({ ...readEvent, values: [eventId] })).rows[0];
    if (!event) throw new AppError('EVENT_NOT_FOUND', `No event has the id "${eventId}".`);
    if (event.issued >= event.stock) return await rollback(client, { kind: 'SOLD_OUT' });
    const held = (await client.query<{ held: number }>({ ...countHeld, values: [eventId, userId] })).rows[0];
    if ((held?.held ?? 0) >= event.per_user_limit) return await rollback(client, { kind: 'LIMIT_REACHED' });
    const claimId = randomUUID();
    await client.query({ ...insertCoupon, values: [eventId, userId, claimId] });
    await client.query({ ...countIssued, values: [eventId] });
    await client.query('COMMIT');
    return { kind: 'ADMITTED', claimId };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (error instanceof AppError) throw error;
    throw new AppError('DB_UNAVAILABLE', `claim transaction failed for ${eventId}`, { cause: error, retryable: true });
  } finally {
    client.release();
  }
}

async function rollback(client: pg.PoolClient, verdict: ClaimVerdict): Promise<ClaimVerdict> {
  await client.query('ROLLBACK');
  return verdict;
}

await runClaimServer(args, decide, () => pool.end());
