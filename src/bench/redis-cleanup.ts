import { createClient } from 'redis';

/** Deletes the keys matching `pattern` (SCAN, never KEYS or FLUSH: the Redis is shared). */
export async function deleteKeys(redisUrl: string, pattern: string): Promise<number> {
  const redis = createClient({ url: redisUrl });
  redis.on('error', () => undefined);
  await redis.connect();
  let deleted = 0;
  try {
    for await (const keys of redis.scanIterator({ MATCH: pattern, COUNT: 1000 })) {
      if (keys.length > 0) deleted += await redis.del(keys);
    }
    return deleted;
  } finally {
    redis.destroy();
  }
}
