// redis-lock: a distributed lock per event as Redisson's RLock takes it: SET key token NX PX (in a script
// that returns the lock's remaining TTL when taken), a Lua compare-and-delete release that publishes on a
// channel, and waiters that sleep until that message wakes one of them (or a short fallback passes).
// The lock is held around the check and the insert in the database and released only after COMMIT.
import { randomUUID } from 'node:crypto';
import { createClient, createCluster, defineScript } from 'redis';
import { AppError } from '../../errors.ts';
import { checkAndInsert } from './check-and-insert.ts';
import { parseContestantArgs, runClaimServer, type ClaimVerdict } from './claim-server.ts';
import { openContestantSql } from './contestant-sql.ts';

const leaseMs = 5000;
const waitMs = 10_000;
/** A waiter retries after this long even without a release message, in case it missed one. */
const fallbackWaitMs = 50;

const args = parseContestantArgs(process.argv.slice(2));
const sql = openContestantSql(args.databaseUrl, args.poolSize);

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

async function decide(eventId: string, userId: string): Promise<ClaimVerdict> {
  try {
    return (
      (await withEventLock(eventId, () => checkAndInsert(sql, eventId, userId, { lockEvent: false }))) ?? {
        kind: 'BUSY',
      }
    );
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('DB_UNAVAILABLE', `claim failed for ${eventId}`, { cause: error, retryable: true });
  }
}

await runClaimServer(args, decide, async () => {
  await sql.end();
  redis.destroy();
  subscriber.destroy();
});
