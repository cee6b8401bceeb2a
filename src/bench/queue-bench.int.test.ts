import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { startPrivateRedis } from '../../test/fixtures/datastores.ts';
import { loadConfig } from '../config.ts';
import { benchmarkQueue } from './queue-bench.ts';
import { parseQueueBenchArgs } from './queue-bench-options.ts';

// Memory is read from the whole server: a redis-server of the file's own, which nothing else writes to.
let redisServer: Awaited<ReturnType<typeof startPrivateRedis>> | undefined;
beforeAll(async () => {
  redisServer = await startPrivateRedis();
});
afterAll(async () => {
  await redisServer?.stop();
});

describe('bench queue, a small run', () => {
  it('completes with sane figures: a distinct position each, a window that never passes the joiners', async () => {
    const argv = ['--users', '3000', '--shards', '1,3', '--rates', '100,400', '--pace-seconds', '1'];
    const config = loadConfig({ REDIS_URL: redisServer!.url });
    const report = await benchmarkQueue(config, parseQueueBenchArgs(argv), argv);

    expect(report.results.map((r) => r.shards)).toEqual([1, 3]);
    for (const result of report.results) {
      // The run itself throws unless every claim was admitted, every join was new and in the pre-queue, the
      // positions were 1..users each once (read back the same), and the window stayed within the joiners.
      expect(result.claims.count).toBe(3000);
      expect(result.joins.count).toBe(3000);
      expect(result.opening.prequeued).toBe(3000);
      expect(result.positions.count).toBe(3000);
      expect(result.memory.afterJoinsBytes).toBeGreaterThan(result.memory.beforeBytes);
      expect(result.memory.bytesPerUserWithPlace).toBeGreaterThan(result.memory.bytesPerUser);
      expect(result.pace.map((p) => p.admitPerSecond)).toEqual([100, 400]);
      for (const pace of result.pace) {
        expect(pace.windowAboveJoined).toBe(0);
        expect(pace.turnsPerSecond).toHaveLength(1);
        // Paced, not all at once: a second's turns are far fewer than the queue.
        expect(pace.turnsPerSecond[0]).toBeGreaterThanOrEqual(0);
        expect(pace.turnsPerSecond[0]).toBeLessThan(3000);
      }
    }
  });

  it('leaves nothing behind in Redis', async () => {
    const redis = createClient({ url: redisServer!.url });
    await redis.connect();
    try {
      expect(await redis.info('keyspace')).not.toMatch(/^db\d+:keys=/m);
    } finally {
      redis.destroy();
    }
  });
});
