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

/** Removes an event id from a set (firstcome's list of active events). */
export async function removeMember(redisUrl: string, key: string, members: string[]): Promise<void> {
  if (members.length === 0) return;
  const redis = createClient({ url: redisUrl });
  redis.on('error', () => undefined);
  await redis.connect();
  try {
    await redis.sRem(key, members);
  } finally {
    redis.destroy();
  }
}
