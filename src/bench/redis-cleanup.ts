import { createClient } from 'redis';
import { readRole } from './redis-cost.ts';

/** Deletes one node's keys matching `pattern` (SCAN, never KEYS or FLUSH: the Redis is shared). */
async function deleteNodeKeys(url: string, pattern: string, oneByOne: boolean): Promise<number> {
  const redis = createClient({ url });
  redis.on('error', () => undefined);
  await redis.connect();
  let deleted = 0;
  try {
    if (oneByOne && (await readRole(redis)) !== 'master') return 0;
    for await (const keys of redis.scanIterator({ MATCH: pattern, COUNT: 1000 })) {
      if (keys.length === 0) continue;
      // A cluster node refuses one DEL over keys of different slots.
      if (oneByOne) for (const key of keys) deleted += await redis.del(key);
      else deleted += await redis.del(keys);
    }
    return deleted;
  } finally {
    redis.destroy();
  }
}

/**
 * Deletes the keys matching `pattern` on a single Redis (its URL), or on every master of a Redis Cluster
 * (its nodes, host:port; replicas follow their masters).
 */
export async function deleteKeys(redis: string | string[], pattern: string): Promise<number> {
  if (typeof redis === 'string') return deleteNodeKeys(redis, pattern, false);
  const counts = await Promise.all(redis.map((node) => deleteNodeKeys(`redis://${node}`, pattern, true)));
  return counts.reduce((sum, n) => sum + n, 0);
}
