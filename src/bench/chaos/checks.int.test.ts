import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPromises } from './checks.ts';
import type { ClaimRecord, RequestRecord } from './load.ts';
import { createScratchDatabase, dropScratchDatabase } from './services.ts';

/**
 * The checks must catch what they claim to: tables with firstcome's columns but none of its constraints,
 * filled with each kind of broken promise, and the answers the users got.
 */
const server = process.env.TEST_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432/';
const name = `firstcome_chaos_check_${randomBytes(4).toString('hex')}`;
let db: pg.Pool;

beforeAll(async () => {
  db = new pg.Pool({ connectionString: await createScratchDatabase(server, name), max: 2 });
  db.on('error', () => undefined);
  await db.query(`CREATE TABLE coupons (claim_id text, event_id text, user_id text, seq int, slot int,
                  issued_at timestamptz NOT NULL DEFAULT now())`);
  await db.query(`CREATE TABLE failed_claims (claim_id text, event_id text, user_id text, state text,
                  ticket_returned boolean, error text, attempts int)`);
});
afterAll(async () => {
  await db?.end();
  await dropScratchDatabase(server, name);
});

const answer = (status: number | null, extra: Partial<RequestRecord> = {}): RequestRecord => ({
  server: 0,
  atMs: 0,
  ms: 1,
  status,
  ...extra,
});
const claim = (userId: string, key: string, requests: RequestRecord[]): ClaimRecord => ({
  index: 0,
  userId,
  key,
  requests,
  final: 'admitted',
});

describe('checkPromises', () => {
  it('passes a clean drop', async () => {
    const event = { id: 'clean', stock: 2, perUserLimit: 2 };
    await db.query(`INSERT INTO coupons (claim_id, event_id, user_id, seq, slot) VALUES
      ('c1', 'clean', 'u1', 1, 1), ('c2', 'clean', 'u2', 2, 1)`);
    const records = [
      claim('u1', 'k1', [answer(503, { code: 'unavailable' }), answer(202, { claimId: 'c1' })]),
      claim('u2', 'k2', [answer(202, { claimId: 'c2' })]),
      claim('u3', 'k3', [answer(409, { code: 'sold_out' })]),
    ];
    const { broken, tallies } = await checkPromises(db, event, records);
    expect(broken).toEqual([]);
    expect(tallies).toMatchObject({
      coupons: 2,
      distinct202: 2,
      answers: { '202': 2, '409 sold_out': 1, '503 unavailable': 1 },
    });
  });

  it('names every broken promise', async () => {
    const event = { id: 'bad', stock: 3, perUserLimit: 1 };
    await db.query(`INSERT INTO coupons (claim_id, event_id, user_id, seq, slot) VALUES
      ('a1', 'bad', 'u1', 1, 1), ('a1', 'bad', 'u1', 2, 1),
      ('x9', 'bad', 'u2', 3, 1), ('a4', 'bad', 'u4', 4, 1)`);
    await db.query(`INSERT INTO failed_claims (claim_id, event_id, user_id, state, ticket_returned, error, attempts)
      VALUES ('a3', 'bad', 'u3', 'dead', false, 'boom', 8)`);
    const records = [
      claim('u1', 'k1', [answer(202, { claimId: 'a1' })]),
      claim('u2', 'k2', [answer(409, { code: 'limit_reached' })]),
      claim('u3', 'k3', [answer(202, { claimId: 'a3' })]),
      claim('u5', 'k5', [answer(202, { claimId: 'lost' })]),
      claim('u6', 'k6', [answer(500, { code: 'internal' }), answer(400, { code: 'invalid_request' })]),
      claim('u7', 'k7', [answer(409, { code: 'ended' })]),
    ];
    const { broken } = await checkPromises(db, event, records);
    expect(broken.map((b) => b.promise).sort()).toEqual(
      [
        '1. never more coupons than stock',
        '2. never more coupons for a user than perUserLimit',
        '3. every 202 is issued (nothing admitted is lost)',
        '3. every 202 not issued is reported failed with its ticket returned',
        '3. no duplicate coupon per claim',
        '5. a 409 or 503 admitted nothing',
        '5. a refusal the event explains (open, no window, not closed: sold_out or limit_reached)',
        '5. every refusal is a 409 with a contract code',
        '5. limit_reached only for a user who holds perUserLimit claims',
        'no 5xx other than 503',
      ].sort(),
    );
  });

  it('counts stock stranded after a sell-out, allowing for claims reported dead', async () => {
    const event = { id: 'short', stock: 4, perUserLimit: 1 };
    await db.query(`INSERT INTO coupons (claim_id, event_id, user_id, seq, slot) VALUES
      ('s1', 'short', 'u1', 1, 1), ('s2', 'short', 'u2', 2, 1)`);
    await db.query(`INSERT INTO failed_claims (claim_id, event_id, user_id, state, ticket_returned, error, attempts)
      VALUES ('s3', 'short', 'u3', 'dead', true, 'gone', 8)`);
    const records = [
      claim('u1', 'k1', [answer(202, { claimId: 's1' })]),
      claim('u2', 'k2', [answer(202, { claimId: 's2' })]),
      claim('u3', 'k3', [answer(202, { claimId: 's3' })]),
      claim('u4', 'k4', [answer(409, { code: 'sold_out' })]),
    ];
    const { broken } = await checkPromises(db, event, records);
    expect(broken).toMatchObject([{ promise: '4. all of the stock is issued when demand exceeds stock', count: 1 }]);
  });
});
