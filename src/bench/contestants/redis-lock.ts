// redis-lock: a distributed lock per event as Redisson's RLock takes it: SET key token NX PX (in a script
// that returns the lock's remaining TTL when taken), a Lua compare-and-delete release that publishes on a
// channel, and waiters that sleep until that message wakes one of them (or a short fallback passes).
// The lock is held around the check and the insert in PostgreSQL and released only after COMMIT.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createClient, createCluster, defineScript } from 'redis';
import { AppError } from '../../errors.ts';
import { parseContestantArgs, runClaimServer, type ClaimVerdict } from './claim-server.ts';

const leaseMs = 5000;
const waitMs = 10_000;
/** A waiter retries after this long even without a release message, in case it missed one. */
const fallbackWaitMs = 50;

const args = parseContestantArgs(process.argv.slice(2));
const pool = new pg.Pool({ connectionString: args.databaseUrl, max: args.poolSize });
pool.on('error', () => undefined);

const tryLock = defineScript({
  SCRIPT:
    "if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return -1 end return redis.call('PTTL', KEYS[1])",
  NUMBER_OF_KEYS: 1,
  parseCommand(parser, key: string, token: string, ms: number) {
    parser.pushKey(key);
    parser.push(token, String(ms));
  },
  transformReply: (reply: unknown) => reply as number,
});
const unlock = defineScript({
  SCRIPT:
    "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) redis.call('PUBLISH', KEYS[2], '0') " +
    'return 1 end return 0',
  NUMBER_OF_KEYS: 2,
  parseCommand(parser, key: string, channel: string, token: string) {
    parser.pushKeys([key, channel]);
    parser.push(token);
  },
  transformReply: (reply: unknown) => reply as number,
});
// On a Redis Cluster the lock and its channel share the hash tag {eventId}, so the release script's two keys
// are in one slot; a PUBLISH reaches subscribers on every node of the cluster.
const redis = args.redisClusterNodes
  ? createCluster({
      rootNodes: args.redisClusterNodes.map((node) => ({ url: `redis://${node}` })),
      scripts: { tryLock, unlock },
    })
  : createClient({ url: args.redisUrl, scripts: { tryLock, unlock } });
redis.on('error', () => undefined);
await redis.connect();
const subscriber = redis.duplicate();
subscriber.on('error', () => undefined);
await subscriber.connect();

const lockKey = (eventId: string) => `${args.keyPrefix}{${eventId}}:lock`;
const channelOf = (eventId: string) => `${args.keyPrefix}{${eventId}}:lock-released`;

/** Waiters per event, woken one per release message, as Redisson's LockPubSub releases one permit. */
const waiters = new Map<string, Array<() => void>>();
const subscribed = new Map<string, Promise<void>>();
const subscribe = (eventId: string) => {
  let done = subscribed.get(eventId);
  if (!done) {
    done = subscriber.subscribe(channelOf(eventId), () => waiters.get(eventId)?.shift()?.());
    subscribed.set(eventId, done);
  }
  return done;
};
const waitForRelease = (eventId: string, ms: number) =>
  new Promise<void>((resolve) => {
    const queue = waiters.get(eventId) ?? [];
    waiters.set(eventId, queue);
    const wake = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      const at = queue.indexOf(wake);
      if (at >= 0) queue.splice(at, 1);
      resolve();
    }, ms);
    queue.push(wake);
  });

async function withEventLock<T>(eventId: string, run: () => Promise<T>): Promise<T | undefined> {
  const key = lockKey(eventId);
  const token = randomUUID();
  const deadline = Date.now() + waitMs;
  let ttl = await redis.tryLock(key, token, leaseMs);
  if (ttl >= 0) await subscribe(eventId);
  while (ttl >= 0) {
    if (Date.now() > deadline) return undefined;
    await waitForRelease(eventId, Math.min(ttl, fallbackWaitMs, deadline - Date.now()));
    ttl = await redis.tryLock(key, token, leaseMs);
  }
  try {
    return await run();
  } finally {
    await redis.unlock(key, channelOf(eventId), token);
  }
}

interface EventRow {
  stock: number;
  per_user_limit: number;
  issued: number;
}

async function checkAndInsert(eventId: string, userId: string): Promise<ClaimVerdict> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const event = (
      await client.query<EventRow>({
        name: 'read-event',
        text: 'SELECT stock, per_user_limit, issued FROM events WHERE id = $1',
        values: [eventId],
      })
    ).rows[0];
    if (!event) throw new AppError('EVENT_NOT_FOUND', `No event has the id "${eventId}".`);
    if (event.issued >= event.stock) return await rollback(client, { kind: 'SOLD_OUT' });
    const held = (
      await client.query<{ held: number }>({
        name: 'count-held',
        text: 'SELECT count(*)::int AS held FROM coupons WHERE event_id = $1 AND user_id = $2',
        values: [eventId, userId],
      })
    ).rows[0];
    if ((held?.held ?? 0) >= event.per_user_limit) return await rollback(client, { kind: 'LIMIT_REACHED' });
    const claimId = randomUUID();
    await client.query({
      name: 'insert-coupon',
      text: 'INSERT INTO coupons (event_id, user_id, claim_id) VALUES ($1, $2, $3)',
      values: [eventId, userId, claimId],
    });
    await client.query({
      name: 'count-issued',
      text: 'UPDATE events SET issued = issued + 1 WHERE id = $1',
      values: [eventId],
    });
    await client.query('COMMIT');
    return { kind: 'ADMITTED', claimId };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function rollback(client: pg.PoolClient, verdict: ClaimVerdict): Promise<ClaimVerdict> {
  await client.query('ROLLBACK');
  return verdict;
}

async function decide(eventId: string, userId: string): Promise<ClaimVerdict> {
  try {
    return (await withEventLock(eventId, () => checkAndInsert(eventId, userId))) ?? { kind: 'BUSY' };
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('DB_UNAVAILABLE', `claim failed for ${eventId}`, { cause: error, retryable: true });
  }
}

await runClaimServer(args, decide, async () => {
  await pool.end();
  redis.destroy();
  subscriber.destroy();
});
