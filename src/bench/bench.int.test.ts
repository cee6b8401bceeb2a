import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../config.ts';
import { adminDatabaseUrl, testDatabaseUrl, testedStoreKinds, type StoreKind } from '../../test/fixtures/databases.ts';
import { startPrivateRedis } from '../../test/fixtures/datastores.ts';
import { benchmark, runBench } from './bench.ts';
import { parseBenchArgs } from './options.ts';
import { designs, defaultDesigns } from './designs.ts';

// The bench makes (and drops) its own databases on this server, and its own keys and topics. Its Redis is a
// redis-server of the file's own: firstcome's relay drains every outbox of its Redis, other tests' included.
let redisServer: Awaited<ReturnType<typeof startPrivateRedis>> | undefined;
let config: Config;
beforeAll(async () => {
  redisServer = await startPrivateRedis();
  config = loadConfig({ DATABASE_URL: adminDatabaseUrl(), REDIS_URL: redisServer.url });
});
afterAll(async () => {
  await redisServer?.stop();
});
/** The server `--database-url` names for `--db kind`: the user's rights on MariaDB cover firstcome_* databases. */
const serverOf = (kind: StoreKind) => (kind === 'postgres' ? adminDatabaseUrl() : testDatabaseUrl('firstcome', kind));
const known = designs.map((d) => d.name);
/** Small enough for a test: 2000 claims through 64 connections at 200 coupons, no warm-up. */
const small = ['--users', '1000', '--attempts', '2', '--stock', '200', '--connections', '64', '--warmup-seconds', '0'];
const run = (designList: string, more: string[] = []) => {
  const argv = [...small, '--designs', designList, ...more];
  return benchmark(config, parseBenchArgs(argv, known, defaultDesigns), argv);
};
const resultOf = (report: Awaited<ReturnType<typeof run>>, design: string) => {
  const result = report.results.find((r) => r.design === design);
  if (!result) throw new Error(`no result for ${design}`);
  return result;
};

const scratch = await mkdtemp(join(tmpdir(), 'firstcome-bench-'));
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe.each(testedStoreKinds())('the correctness columns, read from the database, on %s', (kind) => {
  const onKind = ['--db', kind, '--database-url', serverOf(kind)];

  it('catch db-lock without its row lock over-issuing, and find the locked one exact', async () => {
    const report = await run('db-lock,db-lock-no-lock', onKind);
    expect(report.scenario).toMatchObject({ db: kind });
    expect(report.machine.database).toMatch(kind === 'postgres' ? /^PostgreSQL / : /^(MariaDB|MySQL) /);
    expect(Object.keys(report.machine.databaseSettings)).toContain(
      kind === 'postgres' ? 'synchronous_commit' : 'innodb_flush_log_at_trx_commit',
    );
    const exact = resultOf(report, 'db-lock');
    expect(exact).toMatchObject({ admitted: 200, issued: 200, overIssued: 0, usersOverLimit: 0, lost: 0 });
    const broken = resultOf(report, 'db-lock-no-lock');
    expect(broken.overIssued).toBeGreaterThan(0);
    expect(broken.issued).toBe(200 + (broken.overIssued ?? 0));
  });

  it('catch the course design without SADD giving users more than one coupon', async () => {
    const report = await run('course,course-no-sadd', onKind);
    expect(resultOf(report, 'course')).toMatchObject({
      admitted: 200,
      issued: 200,
      overIssued: 0,
      usersOverLimit: 0,
      lost: 0,
    });
    expect(resultOf(report, 'course-no-sadd').usersOverLimit).toBeGreaterThan(0);
  });

  it('find redis-lock and the real firstcome pipeline exact: every 202 is a row, none beyond stock or limit', async () => {
    const report = await run('redis-lock,firstcome', onKind);
    for (const design of ['redis-lock', 'firstcome']) {
      expect(resultOf(report, design)).toMatchObject({
        admitted: 200,
        issued: 200,
        overIssued: 0,
        usersOverLimit: 0,
        lost: 0,
      });
    }
    // The gate's one Lua call per claim until sell-out runs a few commands inside Redis, and costs its CPU.
    const { redis } = resultOf(report, 'firstcome');
    expect(redis.commandsPerClaim).toBeGreaterThan(0);
    expect(redis.cpuMsPerAdmission).toBeGreaterThan(0);
  });
});

describe('--redis cluster', () => {
  it('runs course, redis-lock and a 3-shard firstcome on the local Redis Cluster, exact, with every node’s cost', async () => {
    // A one-second warm-up first (its coupons drained within 60 s): on a busy box the relay's and the worker's
    // first Kafka round (topic, consumer group) can take longer than the drain's 10 s without progress.
    const report = await run('course,redis-lock,firstcome', [
      '--redis',
      'cluster',
      '--shards',
      '3',
      '--warmup-seconds',
      '1',
    ]);
    expect(report.failures).toEqual([]);
    expect(report.scenario).toMatchObject({ redis: 'cluster', shards: 3 });
    for (const design of ['course', 'redis-lock', 'firstcome']) {
      const result = resultOf(report, design);
      expect(result).toMatchObject({ admitted: 200, issued: 200, overIssued: 0, usersOverLimit: 0, lost: 0 });
      // Summed over the 3 masters and 3 replicas, the masters alone beside it; the requests counted per claim.
      expect(result.redis).toMatchObject({ nodes: 6, masters: { nodes: 3 } });
      expect(result.redis.callsPerClaim).toBeGreaterThan(0);
    }
    // The course design's SADD and INCR for a first attempt, the SADD alone for a second: 1.5 per claim.
    expect(resultOf(report, 'course').redis.callsPerClaim).toBeCloseTo(1.5, 1);
    expect(resultOf(report, 'course').redis.callsByCommand).toEqual({ SADD: 2000, INCR: 1000 });
    expect(resultOf(report, 'firstcome').redis.callsByCommand?.EVALSHA).toBeGreaterThanOrEqual(200);
  });
});

describe('firstcome bench', () => {
  it('writes the JSON the issue asks for, the markdown table and the chart', async () => {
    const out = join(scratch, 'out');
    const json = join(scratch, 'bench.json');
    await runBench(config, [...small, '--designs', 'ceiling,db-lock', '--json', json, '--out', out]);
    const report = JSON.parse(await readFile(json, 'utf8')) as {
      machine: Record<string, unknown>;
      scenario: Record<string, unknown>;
      results: Array<Record<string, unknown>>;
    };
    expect(report.machine).toMatchObject({ cpus: expect.any(Number), node: process.version });
    expect(report.scenario).toMatchObject({ users: 1000, attempts: 2, stock: 200, connections: 64 });
    expect(report.results.map((r) => r.design)).toEqual(['ceiling', 'db-lock']);
    for (const result of report.results) {
      expect(Object.keys(result)).toEqual(
        expect.arrayContaining([
          'design',
          'requestsPerSec',
          'latencyMs',
          'admitted',
          'issued',
          'stock',
          'overIssued',
          'usersOverLimit',
          'lost',
          'drainSeconds',
          'dbRowsPerSec',
          'redis',
        ]),
      );
      expect(result.latencyMs).toEqual({ p50: expect.any(Number), p99: expect.any(Number), max: expect.any(Number) });
      expect(result.redis).toMatchObject({
        commandsPerClaim: expect.any(Number),
        cpuMsPer1000Claims: expect.any(Number),
      });
    }
    expect(await readFile(join(out, 'results.md'), 'utf8')).toContain('| `db-lock` |');
    expect(await readFile(join(out, 'chart.svg'), 'utf8')).toMatch(/^<svg/);
  });
});
