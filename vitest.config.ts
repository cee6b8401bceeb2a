import { defineConfig } from 'vitest/config';

/** The local Redis Cluster (scripts/local-redis-cluster) the `cluster` project runs on; scripts/test starts it. */
const redisClusterNodes = [7000, 7001, 7002, 7003, 7004, 7005].map((port) => `127.0.0.1:${port}`).join(',');

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'test/*.test.ts', 'waiting-page/src/*.test.ts'],
          exclude: ['src/**/*.int.test.ts', 'test/*.e2e.test.ts'],
        },
      },
      {
        test: {
          name: 'int',
          include: ['src/**/*.int.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          // Files share Redis, Kafka and PostgreSQL, and some stop one of them: one file at a time.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/**/*.e2e.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          // The gate's tests, the claim flows and the pipeline again, on a Redis Cluster (events spread over
          // its 3 masters: `shards` auto): test/fixtures/datastores.ts's useRedis and usePrivateRedis, and
          // pipeline.ts's usePipeline, connect to it. Files that stop their Redis stay on a single Redis.
          name: 'cluster',
          include: ['src/gate/*.int.test.ts', 'test/claims.e2e.test.ts', 'test/pipeline.e2e.test.ts'],
          // A single Redis of their own (a password; TLS); a cluster of its own, whose master it kills.
          exclude: [
            'src/gate/redis-auth.int.test.ts',
            'src/gate/redis-tls.int.test.ts',
            'src/gate/failover.int.test.ts',
          ],
          globalSetup: ['test/global-setup.ts'],
          provide: { redisClusterNodes },
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
