/**
 * `firstcome bench queue`: an event's queue (issue 13) through the gate alone, one variant per shard count,
 * on one Redis or a cluster: the pre-queue's burst of joins beside plain claims, Redis memory per waiting
 * user, the opening, and the paced window. queue-bench-options.ts describes the flags.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import type { Logger } from 'pino';
import { join, resolve } from 'node:path';
import type { EventDefinition } from '../claim.ts';
import type { Config } from '../config.ts';
import type { QueuedEvent, QueuePlace } from '../gate/gate.ts';
import { createGateHandle, type GateHandle } from '../gate/open-gate.ts';
import { connectRedis, createRedis, type GateRedis, isCluster } from '../gate/redis.ts';
import { benchClusterNodes, benchRedisUrl } from './bench-redis.ts';
import { parseQueueBenchArgs, type QueueBenchOptions } from './queue-bench-options.ts';
import { createLogger } from '../roles/logger.ts';
import { paceFigures, type PaceFigures, runScheduler } from './queue-pace.ts';
import { renderQueueReport } from './queue-report.ts';

/** A rate: how many in how long. */
export interface Rate {
  count: number;
  seconds: number;
  perSec: number;
}

export interface QueueShardResult {
  shards: number;
  /** The reference: plain claims admitted by the gate (stock = users, one each), the same in flight. */
  claims: Rate;
  joins: Rate & { ratioToClaims: number };
  memory: {
    /** INFO used_memory summed over the masters: before the joins, after them, after every position was cached. */
    beforeBytes: number;
    afterJoinsBytes: number;
    afterPlacesBytes: number;
    bytesPerUser: number;
    bytesPerUserWithPlace: number;
  };
  opening: { openMs: number; prequeued: number };
  /** placeOf for every user: the first time computes and caches it, the second (a poll) reads the cache. */
  positions: Rate & { cached: Rate };
  pace: PaceFigures[];
}

export interface QueueBenchReport {
  machine: {
    cpus: number;
    cpuModel: string;
    node: string;
    redis: string;
    loadAverage: { before: number; after: number };
  };
  scenario: Record<string, unknown>;
  results: QueueShardResult[];
}

const minuteMs = 60_000;
/** A turn lasts the default tokenTtl; paced runs set no maxActive, so nothing holds the window. */
const tokenTtlSeconds = 300;

const round = (n: number, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;
const rateOf = (count: number, seconds: number): Rate => ({
  count,
  seconds: round(seconds, 3),
  perSec: round(count / seconds),
});

/** Runs call(0..count-1) with `concurrency` in flight; returns the seconds it took. */
async function inFlight(count: number, concurrency: number, call: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const startedAt = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await call(next++);
    }),
  );
  return (performance.now() - startedAt) / 1000;
}

/** INFO used_memory summed over the masters (a single Redis is its own). */
async function usedMemory(redis: GateRedis): Promise<number> {
  const nodes = isCluster(redis) ? await Promise.all(redis.masters.map((m) => redis.nodeClient(m))) : [redis];
  let bytes = 0;
  for (const node of nodes) bytes += Number(/^used_memory:(\d+)/m.exec(await node.info('memory'))?.[1]);
  if (Number.isNaN(bytes)) throw new Error('INFO memory without used_memory');
  return bytes;
}

const userOf = (i: number) => `u${i}`;

const positionOf = (place: QueuePlace, userId: string): number => {
  if (typeof place !== 'object') throw new Error(`${userId} has no position after the opening: ${place}`);
  return place.position;
};

const anEvent = (id: string, stock: number, shards: number): EventDefinition => ({
  id,
  name: 'queue bench',
  stock,
  perUserLimit: 1,
  shards,
  startsAt: null,
  endsAt: null,
  closedAt: null,
  createdAt: new Date(),
  queue: null,
});

async function measureClaims(gate: GateHandle, options: QueueBenchOptions, shards: number, id: string): Promise<Rate> {
  await gate.loadEvent(anEvent(id, options.users, shards));
  const tickets = new Set<number>();
  const seconds = await inFlight(options.users, options.concurrency, async (i) => {
    const admission = await gate.admitClaim({ eventId: id, userId: userOf(i), claimId: `c${i}` });
    if (admission.kind === 'ADMITTED') tickets.add(admission.seq);
  });
  if (tickets.size !== options.users) throw new Error(`claims: ${tickets.size} of ${options.users} admitted`);
  return rateOf(options.users, seconds);
}

/** Every user's position, once; throws unless they are 1..users, each once. */
async function placeEveryone(gate: GateHandle, event: QueuedEvent, options: QueueBenchOptions) {
  const positions = new Int32Array(options.users);
  const seconds = await inFlight(options.users, options.concurrency, async (i) => {
    positions[i] = positionOf(await gate.queue.placeOf(event, userOf(i)), userOf(i));
  });
  const seen = new Uint8Array(options.users + 1);
  for (const position of positions) {
    if (position < 1 || position > options.users || seen[position]) {
      throw new Error(`positions: ${position} is out of 1..${options.users} or given twice`);
    }
    seen[position] = 1;
  }
  const cachedSeconds = await inFlight(options.users, options.concurrency, async (i) => {
    const again = positionOf(await gate.queue.placeOf(event, userOf(i)), userOf(i));
    if (again !== positions[i]) throw new Error(`${userOf(i)}: position ${positions[i]}, then ${again}`);
  });
  return { ...rateOf(options.users, seconds), cached: rateOf(options.users, cachedSeconds) };
}

/** The real scheduler at `admitPerSecond` (no maxActive: nothing holds the window) for the run's seconds. */
async function measurePace(gate: GateHandle, event: QueuedEvent, admitPerSecond: number, run: RunContext) {
  const { samples, revealedSeeds } = await runScheduler(
    gate,
    anEvent(event.id, run.options.users, event.shards),
    { admitPerSecond, maxActive: null, tokenTtlSeconds, prequeueAt: new Date(event.prequeueAtMs) },
    { seconds: run.options.paceSeconds, leaseName: `queuebench-${run.runId}`, log: run.log },
  );
  if (revealedSeeds.some((seed) => seed !== run.seeds.get(event.id))) {
    throw new Error(`pace ${admitPerSecond}/s: the scheduler revealed a seed the opening did not give`);
  }
  const figures = paceFigures(samples, admitPerSecond, run.options.paceSeconds);
  if (figures.windowAboveJoined > 0) throw new Error(`pace ${admitPerSecond}/s: the window passed the joiners`);
  return figures;
}

/** What every measurement of one run shares. */
interface RunContext {
  gate: GateHandle;
  redis: GateRedis;
  options: QueueBenchOptions;
  runId: string;
  log: Logger;
  /** Each opened event's seed, as the opening gave it: the scheduler must reveal the same. */
  seeds: Map<string, string>;
}

async function measureShards(run: RunContext, shards: number, label: string): Promise<QueueShardResult> {
  const { gate, redis, options } = run;
  const say = (text: string) => process.stderr.write(`${label.padEnd(9)} ${text}\n`);
  const plainId = `queuebench_${run.runId}_${label}_claims`;
  const queuedId = `queuebench_${run.runId}_${label}_queue`;
  try {
    const claims = await measureClaims(gate, options, shards, plainId);
    say(`claims     ${claims.count} admitted in ${claims.seconds} s: ${claims.perSec}/s`);
    await gate.deleteEvents([plainId]);

    // The opening is an hour away: every join is a pre-queue join, and the bench opens the queue itself.
    const now = Date.now();
    const event: QueuedEvent = {
      id: queuedId,
      shards,
      prequeueAtMs: now - minuteMs,
      startsAtMs: now + 60 * minuteMs,
      endsAtMs: 0,
    };
    await gate.loadEvent({ ...anEvent(queuedId, options.users, shards), startsAt: new Date(event.startsAtMs) });
    const beforeBytes = await usedMemory(redis);
    const joinSeconds = await inFlight(options.users, options.concurrency, async (i) => {
      const join = await gate.queue.join(event, userOf(i));
      if (join === 'not_started' || !join.joined || join.phase !== 'prequeue') {
        throw new Error(`join of ${userOf(i)}: ${JSON.stringify(join)}`);
      }
    });
    const joinRate = rateOf(options.users, joinSeconds);
    const joins = { ...joinRate, ratioToClaims: round(joinRate.perSec / claims.perSec, 2) };
    say(`joins      ${joins.count} in ${joins.seconds} s: ${joins.perSec}/s, ${joins.ratioToClaims}× claims`);
    const afterJoinsBytes = await usedMemory(redis);

    const openedAt = performance.now();
    const opened = await gate.queue.open(event);
    const opening = { openMs: round(performance.now() - openedAt, 2), prequeued: opened.prequeued };
    if (!opened.isFirst || opened.prequeued !== options.users) throw new Error(`open: ${JSON.stringify(opened)}`);
    run.seeds.set(event.id, opened.seed);
    say(`open       ${opening.openMs} ms, ${opening.prequeued} in the pre-queue`);

    const positions = await placeEveryone(gate, event, options);
    say(`positions  ${positions.seconds} s (${positions.perSec}/s), cached ${positions.cached.perSec}/s`);
    const afterPlacesBytes = await usedMemory(redis);
    const memory = {
      beforeBytes,
      afterJoinsBytes,
      afterPlacesBytes,
      bytesPerUser: round((afterJoinsBytes - beforeBytes) / options.users, 1),
      bytesPerUserWithPlace: round((afterPlacesBytes - beforeBytes) / options.users, 1),
    };
    say(`memory     ${memory.bytesPerUser} B/user, ${memory.bytesPerUserWithPlace} B/user with its place`);

    const pace: PaceFigures[] = [];
    for (const rate of options.rates) {
      const figures = await measurePace(gate, event, rate, run);
      pace.push(figures);
      say(
        `pace ${rate}/s  [${figures.turnsPerSecond.join(' ')}]  mean |error| ${figures.meanErrorPct}%, ` +
          `worst second ${figures.worstErrorPct}%, whole run ${figures.overallErrorPct}%, ` +
          `tick ${figures.tickMs.mean} ms (max ${figures.tickMs.max}), slowest advance ${figures.slowestAdvanceMs} ms`,
      );
    }
    return { shards, claims, joins, memory, opening, positions, pace };
  } finally {
    await gate.deleteEvents([plainId, queuedId]);
  }
}

const redisVersion = async (redis: GateRedis) => {
  const node = isCluster(redis) ? await redis.nodeClient(redis.masters[0]!) : redis;
  return /^redis_version:(\S+)/m.exec(await node.info('server'))?.[1] ?? 'unknown';
};

/** Users of the warm-up: enough for the JIT and the scripts' first loads, not counted. */
const warmupUsers = 5000;

export async function benchmarkQueue(config: Config, options: QueueBenchOptions, argv: string[]) {
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const clusterNodes = options.redis === 'cluster' ? benchClusterNodes(config) : undefined;
  const redis = await connectRedis(
    createRedis({ url: benchRedisUrl(config.REDIS_URL, runId), clusterNodes, password: config.REDIS_PASSWORD }),
    () => undefined,
  );
  const run: RunContext = {
    gate: createGateHandle(redis),
    redis,
    options,
    runId,
    // The scheduler's warnings (an advance that failed) show; its lease changes would only add noise.
    log: createLogger({ ...config, LOG_LEVEL: 'warn' }, 'bench queue'),
    seeds: new Map(),
  };
  const loadBefore = loadavg()[0]!;
  const startedAt = new Date().toISOString();
  try {
    // The first variant would otherwise pay for the JIT and the scripts' loading alone.
    const warmup = { ...options, users: Math.min(options.users, warmupUsers), rates: [] };
    await measureShards({ ...run, options: warmup }, options.shards[0]!, 'warm-up');
    const results: QueueShardResult[] = [];
    for (const shards of options.shards) results.push(await measureShards(run, shards, `shards=${shards}`));
    const report: QueueBenchReport = {
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        node: process.version,
        redis: await redisVersion(redis),
        loadAverage: { before: round(loadBefore, 2), after: round(loadavg()[0]!, 2) },
      },
      scenario: {
        command: ['firstcome', 'bench', 'queue', ...argv].join(' '),
        users: options.users,
        concurrency: options.concurrency,
        redis: options.redis,
        redisClusterNodes: clusterNodes ?? null,
        shards: options.shards,
        rates: options.rates,
        paceSeconds: options.paceSeconds,
        startedAt,
      },
      results,
    };
    return report;
  } finally {
    await run.gate.close();
  }
}

export async function runQueueBench(config: Config, argv: string[]): Promise<void> {
  const options = parseQueueBenchArgs(argv);
  const report = await benchmarkQueue(config, options, argv);
  const markdown = renderQueueReport(report);
  process.stdout.write(`\n${markdown}`);
  const out = resolve(options.out);
  await mkdir(out, { recursive: true });
  const json = `${JSON.stringify(report, null, 2)}\n`;
  await writeFile(join(out, 'queue.json'), json);
  await writeFile(join(out, 'queue.md'), markdown);
  if (options.json) await writeFile(resolve(options.json), json);
  process.stdout.write(
    `\nwrote ${join(out, 'queue.json')} and queue.md${options.json ? ` and ${resolve(options.json)}` : ''}\n`,
  );
}
