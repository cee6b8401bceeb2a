import { join } from 'node:path';
import { openContestantSql, type ContestantSql } from './contestants/contestant-sql.ts';
import { nodeArgsOf, redisCallsEnv, userIdHeader, type Design } from './design.ts';
import { createTopic, deleteTopics } from './kafka-topics.ts';
import { freePort } from '../runtime/ports.ts';
import { spawnNode, waitForHttp } from './processes.ts';
import { deleteKeys } from './redis-cleanup.ts';

const contestantsDir = join(import.meta.dirname, 'contestants');
const clusterPrimary = join(contestantsDir, 'cluster-primary.ts');

/**
 * A design from src/bench/contestants: `<name>.ts` (and `<name>-consumer.ts` when it has a consumer), each a
 * real process on the shared HTTP stack, in a fresh database with contestants/schema.sql (schema.mysql.sql on MySQL).
 */
export function contestant(
  name: string,
  summary: string,
  options: { variant?: string; poolSize?: number; consumer?: boolean; storesCoupons?: boolean } = {},
): Design {
  return {
    name,
    summary,
    storesCoupons: options.storesCoupons ?? true,
    async launch(site) {
      if (options.storesCoupons ?? true) await withSql(site.databaseUrl, (sql) => sql.applySchema());
      if (options.consumer) await createTopic(site.kafkaBrokers, site.topic, 1);
      const port = await freePort();
      const flags = [
        `--port=${port}`,
        `--user-id-header=${userIdHeader}`,
        `--database-url=${site.databaseUrl}`,
        `--redis-url=${site.redisUrl}`,
        ...(site.redisClusterNodes ? [`--redis-cluster-nodes=${site.redisClusterNodes.join(',')}`] : []),
        `--kafka-brokers=${site.kafkaBrokers.join(',')}`,
        `--topic=${site.topic}`,
        `--key-prefix=${site.keyPrefix}`,
        `--pool-size=${options.poolSize ?? 10}`,
        `--variant=${options.variant ?? 'correct'}`,
      ];
      const spawnRole = (role: string, entry: string, args: string[]) =>
        spawnNode(`${name} ${role}`, nodeArgsOf(site, `${name}-${role}`, entry, args), {
          cwd: site.repoRoot,
          env: redisCallsEnv(site),
        });
      const api = join(contestantsDir, `${name}.ts`);
      // Several API processes share the port behind a node:cluster primary, as `firstcome serve --workers N` does.
      const processes = [
        site.workers > 1
          ? spawnRole('api', clusterPrimary, ['--workers', String(site.workers), api, ...flags])
          : spawnRole('api', api, flags),
      ];
      if (options.consumer) processes.push(spawnRole('consumer', join(contestantsDir, `${name}-consumer.ts`), flags));
      const origin = `http://127.0.0.1:${port}`;
      const stop = async () => {
        await Promise.all(processes.map((p) => p.stop()));
        await deleteKeys(site.redisClusterNodes ?? site.redisUrl, `${site.keyPrefix}*`);
        if (options.consumer) await deleteTopics(site.kafkaBrokers, [site.topic]);
      };
      try {
        await waitForHttp(`${origin}/healthz`, processes);
      } catch (error) {
        await stop();
        throw error;
      }
      return {
        origin,
        processes,
        stop,
        createEvent: async (event) => {
          if (options.storesCoupons ?? true) await withSql(site.databaseUrl, (sql) => sql.insertEvent(event));
        },
      };
    },
  };
}

/** The harness's own statements on the design's database: the schema, then its events. */
async function withSql(url: string, run: (sql: ContestantSql) => Promise<void>): Promise<void> {
  const sql = openContestantSql(url, 1);
  try {
    await run(sql);
  } finally {
    await sql.end();
  }
}
