import type { Config } from '../config.ts';

/**
 * The run's own logical Redis database (1..15, from the run id): a relay of a firstcome running on the same
 * Redis (a developer's `npm start`) drains every outbox of its own database, and would take the bench's claims.
 * A URL that names a database already keeps it.
 */
export function benchRedisUrl(redisUrl: string, runId: string): string {
  const url = new URL(redisUrl);
  if (url.pathname !== '' && url.pathname !== '/') return redisUrl;
  let hash = 0;
  for (const char of runId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  url.pathname = `/${1 + (hash % 15)}`;
  return url.toString();
}

/** The local cluster of scripts/local-redis-cluster: 3 masters and 3 replicas. */
const localClusterNodes = [7000, 7001, 7002, 7003, 7004, 7005].map((port) => `127.0.0.1:${port}`);

/**
 * `--redis cluster`'s nodes: REDIS_CLUSTER_NODES when set, else the local cluster. A cluster has only database
 * 0, so the bench keeps to its own keys there: its events (deleted through the gate, which knows their
 * shards) and the contestants' `bench:<run>:*` keys, deleted on every master.
 */
export const benchClusterNodes = (config: Pick<Config, 'REDIS_CLUSTER_NODES'>): string[] =>
  config.REDIS_CLUSTER_NODES ?? localClusterNodes;
