import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Config } from '../config.ts';
import { benchClusterNodes, benchRedisUrl } from './bench-redis.ts';
import { renderChart } from './chart.ts';
import { defaultDesigns, designs, findDesign } from './designs.ts';
import { describeMachine, type MachineFacts } from './machine.ts';
import { benchDatabaseServer, benchUsage, parseBenchArgs, type BenchOptions } from './options.ts';
import { describeProfiles } from './profile-summary.ts';
import { renderMarkdown, throughputRatios } from './report.ts';
import { runDesign, type DesignResult } from './run-design.ts';

export interface BenchReport {
  machine: MachineFacts;
  scenario: Record<string, unknown>;
  results: Array<DesignResult & { ratioToCeiling: number | null }>;
  ratios: ReturnType<typeof throughputRatios>;
  /** Designs that could not be run, with why. */
  failures: Array<{ design: string; round: number; error: string }>;
}

const repoRoot = join(import.meta.dirname, '..', '..');

const scenarioOf = (
  options: BenchOptions,
  argv: string[],
  redisClusterNodes: string[] | undefined,
  database: ReturnType<typeof benchDatabaseServer>['kind'],
) => ({
  command: ['firstcome', 'bench', ...argv].join(' '),
  users: options.users,
  attempts: options.attempts,
  claims: options.users * options.attempts,
  stock: options.stock,
  perUserLimit: options.perUserLimit,
  connections: options.connections,
  designs: options.designs,
  rounds: options.rounds,
  maxSecondsPerDesign: options.maxSeconds,
  warmupSeconds: options.warmupSeconds,
  seed: options.seed,
  apiProcessesPerDesign: options.workers,
  redis: options.redis,
  redisClusterNodes: redisClusterNodes ?? null,
  shards: options.shards,
  db: database,
  startedAt: new Date().toISOString(),
});

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)] ?? 0;
const worst = (values: Array<number | null>) =>
  values.every((v) => v === null) ? null : Math.max(...values.map((v) => v ?? 0));

/** One design's rounds as one result: the median round by claims/s, with the worst correctness of any round. */
export function combineRounds(rounds: DesignResult[]): DesignResult {
  const rates = rounds.map((r) => r.requestsPerSec);
  const middle = median(rates);
  const chosen = rounds.find((r) => r.requestsPerSec === middle) ?? rounds[0];
  if (!chosen) throw new Error('combineRounds: no rounds');
  if (rounds.length === 1) return chosen;
  return {
    ...chosen,
    overIssued: worst(rounds.map((r) => r.overIssued)),
    usersOverLimit: worst(rounds.map((r) => r.usersOverLimit)),
    lost: worst(rounds.map((r) => r.lost)),
    rounds: rounds.map((r) => ({ requestsPerSec: r.requestsPerSec, p99Ms: r.latencyMs.p99 })),
    notes: [
      ...chosen.notes,
      `median of ${rounds.length} interleaved rounds: ${rates.map((r) => Math.round(r)).join(', ')} claims/s; correctness columns are the worst round's`,
    ],
  };
}

/** Runs the designs one after another and returns the report; `runBench` prints and writes it. */
export async function benchmark(config: Config, options: BenchOptions, argv: string[]): Promise<BenchReport> {
  // Database and key names take it: lower-case letters and digits only.
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const profileDir = options.profile ? join(resolve(options.out), 'profiles') : undefined;
  if (profileDir) await mkdir(profileDir, { recursive: true });
  const redisClusterNodes = options.redis === 'cluster' ? benchClusterNodes(config) : undefined;
  const database = benchDatabaseServer(config.DATABASE_URL, options);
  const machine = await describeMachine(
    redisClusterNodes ? `redis://${redisClusterNodes[0]}` : config.REDIS_URL,
    database.url,
    config.KAFKA_BROKERS,
  );
  const runs = new Map<string, DesignResult[]>(options.designs.map((name) => [name, []]));
  const failures: BenchReport['failures'] = [];
  // Rounds interleave the designs (A B C A B C) so a busy neighbour hurts all of them alike.
  for (let round = 1; round <= options.rounds; round++) {
    for (const name of options.designs) {
      try {
        const result = await runDesign(findDesign(name), options, {
          repoRoot,
          databaseServerUrl: database.url,
          redisUrl: benchRedisUrl(config.REDIS_URL, runId),
          redisClusterNodes,
          shards: options.shards,
          kafkaBrokers: config.KAFKA_BROKERS,
          runId: options.rounds > 1 ? `${runId}r${round}` : runId,
          profileDir,
        });
        runs.get(name)?.push(result);
      } catch (error) {
        // One design failing to start or run must not cost the others their numbers.
        const message = error instanceof Error ? error.message : String(error);
        failures.push({ design: name, round, error: message });
        process.stderr.write(`${name}: failed: ${message}\n`);
      }
    }
  }
  const results = [...runs.values()].filter((rounds) => rounds.length > 0).map(combineRounds);
  const ceiling = results.find((r) => r.design === 'ceiling');
  return {
    machine,
    scenario: scenarioOf(options, argv, redisClusterNodes, database.kind),
    results: results.map((r) => ({
      ...r,
      ratioToCeiling: ceiling ? Math.round((r.requestsPerSec / ceiling.requestsPerSec) * 1000) / 1000 : null,
    })),
    ratios: throughputRatios(results),
    failures,
  };
}

const describeScenario = (report: BenchReport, options: BenchOptions): [string, string] => {
  const s = report.scenario;
  const m = report.machine;
  return [
    `${String(s.users)} users × ${String(s.attempts)} attempts in random order, stock ${String(s.stock)}, ` +
      `${String(s.connections)} connections` +
      (options.workers > 1 ? ` · ${options.workers} API processes per design (--workers)` : '') +
      (options.redis === 'cluster'
        ? ` · Redis Cluster (${Array.isArray(s.redisClusterNodes) ? s.redisClusterNodes.length : '?'} nodes)`
        : ' · single Redis') +
      ` · firstcome shards ${String(options.shards)}` +
      (options.rounds > 1 ? ` · median of ${options.rounds} interleaved rounds` : ''),
    `${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGb} GB · Node ${m.node} · Redis ${m.redis} · ${m.database} · Kafka ${m.kafka}`,
  ];
};

export async function runBench(config: Config, argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(benchUsage);
    return;
  }
  const options = parseBenchArgs(
    argv,
    designs.map((d) => d.name),
    defaultDesigns,
  );
  const report = await benchmark(config, options, argv);
  const failed = report.failures.map(
    (f) => `- \`${f.design}\` failed in round ${f.round}: ${f.error.split('\n')[0]}\n`,
  );
  const markdown = `${describeScenario(report, options).join('  \n')}\n\n${renderMarkdown(report.results)}${failed.join('')}`;
  process.stdout.write(`\n${markdown}`);
  const out = resolve(options.out);
  await mkdir(out, { recursive: true });
  const json = `${JSON.stringify(report, null, 2)}\n`;
  await writeFile(join(out, 'results.json'), json);
  await writeFile(join(out, 'results.md'), markdown);
  await writeFile(join(out, 'chart.svg'), await renderChart(report.results, describeScenario(report, options)));
  if (options.json) await writeFile(resolve(options.json), json);
  if (options.profile) {
    const profiles = join(out, 'profiles');
    const hotSpots = await describeProfiles(profiles);
    await writeFile(join(profiles, 'hot-spots.txt'), `${hotSpots}\n`);
    process.stdout.write(`\n${hotSpots}\n\nCPU profiles (open in Chrome DevTools or speedscope): ${profiles}\n`);
  }
  if (report.failures.length > 0) process.exitCode = 1;
  process.stdout.write(
    `\nwrote ${join(out, 'results.json')}, results.md and chart.svg${options.json ? ` and ${resolve(options.json)}` : ''}\n`,
  );
}
