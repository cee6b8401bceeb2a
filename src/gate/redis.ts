import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient, createCluster, defineScript, type RedisClientType, type RedisClusterType } from 'redis';

const readLua = (file: string) => readFileSync(join(import.meta.dirname, file), 'utf8');

/** held-claims.lua's functions, put before each script that reads or writes a user's held claims. */
const heldClaimsLua = readLua('held-claims.lua');
/** ticket-ranges.lua's functions, put before each script that takes tickets from the pool or a lease. */
const ticketRangesLua = readLua('ticket-ranges.lua');

const luaScript = (file: string, keys: number, prelude = '') =>
  defineScript({
    SCRIPT: prelude + readLua(file),
    NUMBER_OF_KEYS: keys,
    parseCommand(parser, keyNames: string[], args: Array<string | number>) {
      for (const key of keyNames) parser.pushKey(key);
      for (const arg of args) parser.push(String(arg));
    },
    transformReply: (reply: unknown) => reply as never,
  });

/** Loaded once and called by SHA; node-redis falls back to EVAL (which caches the script) on NOSCRIPT. */
const gateScripts = {
  admitClaim: luaScript('admit-claim.lua', 7, heldClaimsLua + ticketRangesLua),
  leaseTickets: luaScript('lease-tickets.lua', 2, ticketRangesLua),
  surrenderLease: luaScript('surrender-lease.lua', 2),
  giveBack: luaScript('give-back.lua', 2),
  stageEvent: luaScript('stage-event.lua', 4),
  seedEvent: luaScript('seed-event.lua', 6),
  endEvent: luaScript('end-event.lua', 1),
  returnTicket: luaScript('return-ticket.lua', 3, heldClaimsLua),
  redriveClaim: luaScript('redrive-claim.lua', 2, heldClaimsLua),
  pauseEvent: luaScript('pause-event.lua', 1),
  repairEvent: luaScript('repair-event.lua', 3, heldClaimsLua),
  resumeEvent: luaScript('resume-event.lua', 3),
  takeLease: luaScript('take-lease.lua', 1),
  dropLease: luaScript('drop-lease.lua', 1),
  setupQueue: luaScript('setup-queue.lua', 1),
  joinQueue: luaScript('join-queue.lua', 2),
  placeQueue: luaScript('place-queue.lua', 3),
  openQueue: luaScript('open-queue.lua', 4),
  advanceQueue: luaScript('advance-queue.lua', 2),
};

type GateScripts = typeof gateScripts;
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- node-redis's "no modules, no functions"
type GateNode = RedisClientType<{}, {}, GateScripts>;
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- as above
type GateCluster = RedisClusterType<{}, {}, GateScripts>;
export type GateRedis = GateNode | GateCluster;

export interface RedisOptions {
  url: string;
  clusterNodes?: string[] | undefined;
  /** Used when `url` carries no credentials (`redis://user:password@host`), by every node of a cluster too. */
  password?: string | undefined;
  /** The ACL user `password` belongs to; unset, the default user. */
  username?: string | undefined;
  /** TLS for every connection (a rediss:// `url` turns it on by itself), with `ca` when Node does not trust the CA. */
  tls?: { ca?: string | undefined } | undefined;
}

/** The credentials every connection presents: those in `url`, else `username` (or the default user) and `password`. */
export function redisCredentials({ url, password, username }: RedisOptions): { username?: string; password?: string } {
  const parsed = url ? new URL(url) : undefined;
  if (parsed && (parsed.username || parsed.password)) {
    return {
      ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
      ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    };
  }
  return password ? { ...(username ? { username } : {}), password } : {};
}

/**
 * One connection serves every request: node-redis pipelines commands issued in the same tick, which is
 * what makes one Lua round trip per claim cheap. Commands fail fast while Redis is down (no offline
 * queue), so a claim answers 503 rather than waiting for an admission it may never get.
 */
export function createRedis(options: RedisOptions): GateRedis {
  const isTls = options.tls !== undefined || options.url.startsWith('rediss:');
  const socket = {
    connectTimeout: 2000,
    reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1000),
    ...(isTls ? { tls: true as const, ...(options.tls?.ca ? { ca: options.tls.ca } : {}) } : {}),
  };
  const credentials = redisCredentials(options);
  if (options.clusterNodes) {
    return createCluster({
      rootNodes: options.clusterNodes.map((node) => ({ url: `${isTls ? 'rediss' : 'redis'}://${node}` })),
      // The nodes the cluster discovers get these defaults too, credentials included.
      defaults: { socket, disableOfflineQueue: true, ...credentials },
      scripts: gateScripts,
    }) as GateRedis;
  }
  return createClient({ url: options.url, ...credentials, socket, disableOfflineQueue: true, scripts: gateScripts });
}

export const isCluster = (redis: GateRedis): redis is GateCluster => 'getNodeClientForKey' in redis;

/**
 * The connection to the node that holds `key` (on a single Redis, the client itself): for commands a
 * cluster does not route by key, such as TIME, INFO or KEYS, when they must see that key's node.
 */
export async function nodeClientFor(redis: GateRedis, key: string): Promise<GateNode> {
  return isCluster(redis) ? redis.getNodeClientForKey(key) : redis;
}

/** Connects, and keeps a client's background errors (reconnects) from crashing the process. */
export async function connectRedis(redis: GateRedis, onError: (error: unknown) => void): Promise<GateRedis> {
  redis.on('error', onError);
  await redis.connect();
  return redis;
}
