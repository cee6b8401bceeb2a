import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkCoupons, waitForDrain, type CouponCheck } from './coupon-checks.ts';
import { openCouponQueries, type CouponQueries } from './coupon-queries.ts';
import { userIdHeader, type BenchEvent, type Design, type LaunchedDesign } from './design.ts';
import { forkLoad } from './fork-load.ts';
import type { LoadJob, LoadResult } from './load-generator.ts';
import type { BenchOptions } from './options.ts';
import { readTreeUsage } from './proc-stats.ts';
import { createProgressLine } from './progress.ts';
import {
  callsBetween,
  costOfReadings,
  readRedisCalls,
  readRedisCallsByCommand,
  readRedisUsage,
  redisCallsFlushMs,
  type RedisCost,
} from './redis-cost.ts';
import { createScratchDatabase, dropScratchDatabase } from './scratch-database.ts';

export interface DesignResult {
  design: string;
  requestsPerSec: number;
  latencyMs: { p50: number; p99: number; max: number };
  admitted: number;
  /** Rows in the database once drained; null for `ceiling`, which stores nothing. */
  issued: number | null;
  stock: number;
  overIssued: number | null;
  usersOverLimit: number | null;
  lost: number | null;
  /** Seconds from the first claim sent until the database held its last coupon. */
  drainSeconds: number | null;
  /** Coupons divided by the time between the first and the last coupon row. */
  dbRowsPerSec: number | null;
  /** Coupons divided by drainSeconds: how fast the drop was really issued, end to end. */
  issuedPerSec: number | null;
  requests: number;
  planned: number;
  /** True when --max-seconds stopped the load before every planned claim was sent. */
  truncated: boolean;
  loadSeconds: number;
  /** When the last 202 arrived, seconds after the first claim. */
  soldOutSeconds: number | null;
  tail: { requests: number; requestsPerSec: number; latencyMs: { p50: number; p99: number; max: number } };
  outcomes: Record<string, number>;
  /** CPU of the design's own processes during the load; percent of one core. */
  serverCpuSeconds: number;
  serverCpuPercent: number;
  /** CPU of the design's processes between the end of the load and the last coupon landing. */
  drainCpuSeconds: number;
  serverPeakRssMb: number;
  /**
   * What the load cost the design's Redis (INFO commandstats and INFO cpu before and after the load, summed
   * over its nodes), per claim answered; zeros for designs that do not use Redis.
   */
  redis: RedisCost;
  generatorCpuSeconds: number;
  generatorCpuPercent: number;
  /**
   * The box's 1-minute load average as the load began. It lags, so it still counts the previous design's
   * processes; well above the CPU count it says neighbours were competing too.
   */
  loadAverageAtStart: number;
  processes: string[];
  /** Every round's figures when the run had several (--rounds). */
  rounds?: Array<{ requestsPerSec: number; p99Ms: number }>;
  summary: string;
  notes: string[];
}

export interface RunSite {
  repoRoot: string;
  databaseServerUrl: string;
  redisUrl: string;
  /** `--redis cluster`: the cluster's nodes (host:port), used instead of redisUrl by every design. */
  redisClusterNodes?: string[] | undefined;
  shards: number | 'auto';
  kafkaBrokers: string[];
  runId: string;
  profileDir?: string | undefined;
}

/** The design sits idle this long before its load, to see how busy the shared Redis is without it. */
const redisIdleWindowMs = 500;

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const pick = (l: { p50: number; p99: number; max: number }) => ({
  p50: round(l.p50, 2),
  p99: round(l.p99, 2),
  max: round(l.max, 2),
});

/** Runs the spike against one design in its own database, Redis prefix and Kafka topic, then removes them. */
export async function runDesign(design: Design, options: BenchOptions, site: RunSite): Promise<DesignResult> {
  const suffix = design.name.replaceAll('-', '_');
  // firstcome_*: the only databases the local MariaDB's `firstcome` user may create (scripts/lib/services.sh).
  const databaseName = `firstcome_bench_${site.runId}_${suffix}`;
  const progress = createProgressLine(process.stderr, design.name);
  progress.say('starting');
  const databaseUrl = await createScratchDatabase(site.databaseServerUrl, databaseName);
  const db = openCouponQueries(databaseUrl);
  let launched: LaunchedDesign | undefined;
  const redisCallsDir = await mkdtemp(join(tmpdir(), `firstcome-bench-calls-${suffix}-`));
  try {
    launched = await design.launch({
      repoRoot: site.repoRoot,
      databaseUrl,
      redisUrl: site.redisUrl,
      redisClusterNodes: site.redisClusterNodes,
      shards: site.shards,
      redisCallsDir,
      kafkaBrokers: site.kafkaBrokers,
      keyPrefix: `bench:${site.runId}:${design.name}:`,
      topic: `bench.${site.runId}.${design.name}`,
      profileDir: site.profileDir,
      workers: options.workers,
    });
    const event: BenchEvent = { id: `bench-${site.runId}`, stock: options.stock, perUserLimit: options.perUserLimit };
    await launched.createEvent(event);
    const job: LoadJob = {
      origin: launched.origin,
      eventId: event.id,
      users: options.users,
      attempts: options.attempts,
      connections: options.connections,
      seed: options.seed,
      maxSeconds: options.maxSeconds,
      userIdHeader,
      collectAdmissions: design.storesCoupons,
    };
    if (options.warmupSeconds > 0) await warmUp(design, launched, job, options, db);
    const pids = launched.processes.map((p) => p.pid);
    const redisUrls = site.redisClusterNodes?.map((node) => `redis://${node}`) ?? [site.redisUrl];
    const idleStart = await readRedisUsage(redisUrls);
    await sleep(redisIdleWindowMs);
    const redisBefore = await readRedisUsage(redisUrls);
    const callsBefore = await readRedisCalls(redisCallsDir);
    const byCommandBefore = await readRedisCallsByCommand(redisCallsDir);
    const before = readTreeUsage(pids);
    const loadAverageAtStart = loadavg()[0] ?? 0;
    const load = forkLoad(job, (p) => progress.update(p));
    const result = await load.result;
    const afterLoad = readTreeUsage(pids);
    const redisAfter = await readRedisUsage(redisUrls);
    await sleep(redisCallsFlushMs);
    const calls = (await readRedisCalls(redisCallsDir)) - callsBefore;
    const callsByCommand = callsBetween(byCommandBefore, await readRedisCallsByCommand(redisCallsDir));
    const redisCost = costOfReadings(
      idleStart,
      redisBefore,
      redisAfter,
      { claims: result.completed, admitted: result.admitted },
      redisIdleWindowMs / 1000,
      calls,
    );
    const redis = { ...redisCost, callsByCommand };
    progress.say(`${Math.round(result.requestsPerSec)} claims/s, ${result.admitted} admitted; checking the database`);
    let check: CouponCheck | undefined;
    if (design.storesCoupons) {
      await waitForDrain(db, event.id, result.admitted, { timeoutSeconds: options.drainTimeoutSeconds });
      check = await checkCoupons(db, event, { claimIds: result.admittedClaimIds, userIds: result.admittedUserIds });
    }
    const afterDrain = readTreeUsage(pids);
    return summarize(design, options, result, check, {
      serverCpuSeconds: afterLoad.cpuSeconds - before.cpuSeconds,
      drainCpuSeconds: afterDrain.cpuSeconds - afterLoad.cpuSeconds,
      serverPeakRssMb: afterDrain.peakRssBytes / 2 ** 20,
      redis,
      loadAverageAtStart,
      processes: launched.processes.map((p) => p.name),
      notes: launched.notes ?? [],
    });
  } finally {
    await db.end().catch(() => undefined);
    await launched?.stop().catch((error: unknown) => progress.say(`cleanup trouble: ${String(error)}`));
    await dropScratchDatabase(site.databaseServerUrl, databaseName);
    await rm(redisCallsDir, { recursive: true, force: true });
  }
}

/** A short load on a second event, so JIT, pools and connections are warm; its coupons drain before the run. */
async function warmUp(
  design: Design,
  launched: LaunchedDesign,
  job: LoadJob,
  options: BenchOptions,
  db: CouponQueries,
) {
  const warm: BenchEvent = {
    id: `${job.eventId}-warmup`,
    stock: Math.max(1, Math.min(1000, Math.ceil(options.stock / 10))),
    perUserLimit: options.perUserLimit,
  };
  await launched.createEvent(warm);
  const result = await forkLoad(
    {
      ...job,
      eventId: warm.id,
      attempts: 1,
      seed: job.seed + 1,
      maxSeconds: options.warmupSeconds,
      collectAdmissions: false,
    },
    () => undefined,
  ).result;
  if (design.storesCoupons) await waitForDrain(db, warm.id, result.admitted, { idleSeconds: 3, timeoutSeconds: 60 });
}

function summarize(
  design: Design,
  options: BenchOptions,
  load: LoadResult,
  check: CouponCheck | undefined,
  usage: {
    serverCpuSeconds: number;
    drainCpuSeconds: number;
    serverPeakRssMb: number;
    redis: RedisCost;
    loadAverageAtStart: number;
    processes: string[];
    notes: string[];
  },
): DesignResult {
  const drainSeconds =
    check?.lastIssuedAtMs != null ? Math.max(0, (check.lastIssuedAtMs - load.startedAtEpochMs) / 1000) : null;
  const spanSeconds =
    check?.lastIssuedAtMs != null && check.firstIssuedAtMs != null
      ? (check.lastIssuedAtMs - check.firstIssuedAtMs) / 1000
      : 0;
  const notes = [...usage.notes];
  if (load.truncated) {
    notes.push(
      `--max-seconds ${options.maxSeconds} stopped the load after ${load.completed} of ${load.planned} claims`,
    );
  }
  return {
    design: design.name,
    requestsPerSec: round(load.requestsPerSec),
    latencyMs: pick(load.latencyMs),
    admitted: load.admitted,
    issued: check?.issued ?? null,
    stock: options.stock,
    overIssued: check?.overIssued ?? null,
    usersOverLimit: check?.usersOverLimit ?? null,
    lost: check?.lost ?? null,
    drainSeconds: drainSeconds === null ? null : round(drainSeconds, 2),
    dbRowsPerSec: check && check.issued > 1 && spanSeconds > 0 ? round(check.issued / spanSeconds) : null,
    issuedPerSec: check && drainSeconds ? round(check.issued / drainSeconds) : null,
    requests: load.completed,
    planned: load.planned,
    truncated: load.truncated,
    loadSeconds: round(load.seconds, 2),
    soldOutSeconds:
      design.storesCoupons && load.lastAdmissionSeconds !== null && load.admitted >= options.stock
        ? round(load.lastAdmissionSeconds, 2)
        : null,
    tail: {
      requests: load.tail.requests,
      requestsPerSec: round(load.tail.requestsPerSec),
      latencyMs: pick(load.tail.latencyMs),
    },
    outcomes: load.outcomes,
    serverCpuSeconds: round(usage.serverCpuSeconds, 2),
    serverCpuPercent: round((usage.serverCpuSeconds / load.seconds) * 100),
    drainCpuSeconds: round(usage.drainCpuSeconds, 2),
    serverPeakRssMb: round(usage.serverPeakRssMb),
    redis: usage.redis,
    generatorCpuSeconds: round(load.generatorCpuSeconds, 2),
    generatorCpuPercent: round((load.generatorCpuSeconds / load.seconds) * 100),
    loadAverageAtStart: round(usage.loadAverageAtStart, 2),
    processes: usage.processes,
    summary: design.summary,
    notes,
  };
}
