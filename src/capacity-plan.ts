/**
 * Sizing one drop on paper: from a peak rate and a stock to the processes and nodes it needs, using what
 * each component costs. Pure arithmetic; `firstcome plan` (cli/commands/plan.ts) reads the flags and prints.
 */

/** What one unit of each component does, measured (see `measuredCosts`) or read from a bench results.json. */
export interface ComponentCosts {
  /** Claims/s one `firstcome serve` process answers (HTTP, auth, one gate call or the sold-out memory). */
  apiClaimsPerSecPerProcess: number;
  /** Redis CPU milliseconds per admission, with the claims refused before sell-out riding along. */
  redisCpuMsPerAdmission: number;
  /** Redis CPU milliseconds per claim answered after sell-out (firstcome: from memory, about none). */
  redisCpuMsPerSoldOut: number;
  /** Admitted claims/s one relay moves from the outbox streams to Kafka. */
  relayClaimsPerSec: number;
  /** Coupon rows/s one worker writes to the database (batched, idempotent inserts). */
  workerRowsPerSec: number;
  /** Where these figures came from. */
  source: string;
}

/**
 * Measured on this project's 2-vCPU box on 2026-11-30 with `firstcome bench --quick --designs course,firstcome
 * --rounds 2 --stock 4000` (1 API process; load generator, Redis, PostgreSQL and Kafka on the same 2 cores,
 * load average 9–11 from a CI run alongside; docs/scaling.md "Sizing" has the runs):
 * - claims/s per API process: firstcome's median round, 6,280 (rounds 6,280 and 8,137);
 * - Redis CPU per admission: 0.059 ms there and 0.065 ms in a `--quick` run of all five designs (stock
 *   2,000), idle Redis housekeeping and the relay's polling included; sold-out answers come from memory;
 * - worker: 26,178 rows/s, `node src/bench/pipeline-drain.ts --mode worker --claims 50000` (the topic filled
 *   first, one worker timed from the coupons' issued_at; same day, same load); the relay is taken as no slower
 *   (not measured alone: it moves claims in batches of RELAY_BATCH_SIZE with one produce each).
 * Whole-box figures: a dedicated core does more, so plans made from them err towards more processes.
 */
export const measuredCosts: ComponentCosts = {
  apiClaimsPerSecPerProcess: 6_280,
  redisCpuMsPerAdmission: 0.06,
  redisCpuMsPerSoldOut: 0,
  relayClaimsPerSec: 26_178,
  workerRowsPerSec: 26_178,
  source: 'measured on the 2-vCPU dev box under load, 2026-11-30 (src/capacity-plan.ts measuredCosts)',
};

/** The hot path (API, Redis) is sized to run at this share of its capacity at peak, leaving room for bursts. */
export const targetUtilization = 0.7;
/** An event has at most this many shards (`POST /admin/events` `"shards"`). */
export const maxShardsPerEvent = 256;
/** Kafka partitions of a topic firstcome creates (`KAFKA_PARTITIONS`'s default): the floor of the plan. */
export const defaultPartitions = 8;

export interface PlanInput {
  peakClaimsPerSec: number;
  stock: number;
  perUserLimit: number;
  /** Every admitted claim is a coupon in the database within this many seconds of the drop's start. */
  drainSeconds: number;
}

export interface CapacityPlan {
  input: PlanInput;
  costs: ComponentCosts;
  targetUtilization: number;
  apiProcesses: number;
  /** Redis CPU ms per second while stock remains (every claim reaches the gate) and after sell-out. */
  redisCpuMsPerSecBeforeSellOut: number;
  redisCpuMsPerSecAfterSellOut: number;
  redisMasters: number;
  /** `shards: "auto"` gives one per master, up to maxShardsPerEvent. */
  shardsPerEvent: number;
  /** The gate cannot sell out faster than the peak rate admits, nor than its masters' CPU allows. */
  sellOutSecondsAtLeast: number;
  /** Redis CPU seconds the whole stock's admissions take: with fewer masters, claims wait in line this long. */
  admissionCpuSeconds: number;
  /** The coupon rows/s the database must take so every coupon lands within drainSeconds. */
  databaseRowsPerSec: number;
  relays: number;
  workers: number;
  kafkaPartitions: number;
  /** With the per-user limit, at least this many users get coupons. */
  usersServedAtLeast: number;
}

const atLeastOne = (n: number) => Math.max(1, Math.ceil(n - 1e-9));

export function planCapacity(input: PlanInput, costs: ComponentCosts = measuredCosts): CapacityPlan {
  const { peakClaimsPerSec: rate, stock, perUserLimit, drainSeconds } = input;
  const apiProcesses = atLeastOne(rate / (costs.apiClaimsPerSecPerProcess * targetUtilization));
  const redisCpuMsPerSecBeforeSellOut = rate * costs.redisCpuMsPerAdmission;
  const redisCpuMsPerSecAfterSellOut = rate * costs.redisCpuMsPerSoldOut;
  // One Redis master runs its commands on one core: 1,000 CPU ms per second at most.
  const redisMasters = atLeastOne(
    Math.max(redisCpuMsPerSecBeforeSellOut, redisCpuMsPerSecAfterSellOut) / (1000 * targetUtilization),
  );
  const admitSeconds = (stock * costs.redisCpuMsPerAdmission) / (1000 * redisMasters);
  const databaseRowsPerSec = stock / drainSeconds;
  const workers = atLeastOne(databaseRowsPerSec / costs.workerRowsPerSec);
  return {
    input,
    costs,
    targetUtilization,
    apiProcesses,
    redisCpuMsPerSecBeforeSellOut,
    redisCpuMsPerSecAfterSellOut,
    redisMasters,
    shardsPerEvent: Math.min(redisMasters, maxShardsPerEvent),
    sellOutSecondsAtLeast: Math.max(stock / rate, admitSeconds),
    admissionCpuSeconds: (stock * costs.redisCpuMsPerAdmission) / 1000,
    databaseRowsPerSec,
    relays: atLeastOne(databaseRowsPerSec / costs.relayClaimsPerSec),
    workers,
    kafkaPartitions: Math.max(defaultPartitions, workers),
    usersServedAtLeast: Math.ceil(stock / perUserLimit),
  };
}

const positiveNumber = (value: unknown): value is number => typeof value === 'number' && value > 0;

/**
 * Component costs from a `firstcome bench` results.json: its `firstcome` result's claims/s per API process,
 * Redis CPU per admission, and database rows/s (which bounds the relay and the worker alike, measured together).
 * From a `--redis cluster` run the Redis CPU is the masters' alone per admission: what one admission costs the
 * master of the shard it runs on (leases and the sweep included), which is what a master's core is sized by;
 * the replicas replay it on cores of their own.
 */
export function costsFromBenchResults(report: unknown, file: string): ComponentCosts {
  const shape = report as {
    scenario?: { apiProcessesPerDesign?: unknown; startedAt?: unknown; redis?: unknown; shards?: unknown };
    results?: Array<{
      design?: unknown;
      requestsPerSec?: unknown;
      dbRowsPerSec?: unknown;
      redis?: { cpuMsPerAdmission?: unknown; masters?: { cpuMsPerAdmission?: unknown; nodes?: unknown } };
    }>;
  };
  const firstcome = shape.results?.find((r) => r.design === 'firstcome');
  if (!firstcome) throw new Error(`${file}: no result for the firstcome design (run firstcome bench with it)`);
  const processes = shape.scenario?.apiProcessesPerDesign ?? 1;
  const { requestsPerSec, dbRowsPerSec } = firstcome;
  const masters = firstcome.redis?.masters;
  const onMasters = positiveNumber(masters?.cpuMsPerAdmission);
  const cpuMsPerAdmission = onMasters ? masters?.cpuMsPerAdmission : firstcome.redis?.cpuMsPerAdmission;
  const redisSource =
    shape.scenario?.redis === 'cluster'
      ? `; Redis Cluster, ${typeof shape.scenario.shards === 'number' ? shape.scenario.shards : 'auto'} shards, ` +
        (onMasters ? `CPU per admission on its ${String(masters?.nodes)} masters` : 'CPU per admission over its nodes')
      : '';
  if (!positiveNumber(processes) || !positiveNumber(requestsPerSec)) {
    throw new Error(`${file}: the firstcome result lacks claims/s or the API process count`);
  }
  if (!positiveNumber(cpuMsPerAdmission)) {
    throw new Error(
      `${file}: the firstcome result has no Redis CPU per admission (a bench from before it was measured?)`,
    );
  }
  // A run whose coupons did not all land has no rows/s: keep the measured pipeline figures then, and say so.
  const pipeline = positiveNumber(dbRowsPerSec) ? dbRowsPerSec : undefined;
  return {
    apiClaimsPerSecPerProcess: requestsPerSec / processes,
    redisCpuMsPerAdmission: cpuMsPerAdmission,
    redisCpuMsPerSoldOut: 0,
    relayClaimsPerSec: pipeline ?? measuredCosts.relayClaimsPerSec,
    workerRowsPerSec: pipeline ?? measuredCosts.workerRowsPerSec,
    source: `${file}${pipeline ? '' : ' (no DB rows/s in it: relay and worker from measuredCosts)'} (firstcome bench of ${typeof shape.scenario?.startedAt === 'string' ? shape.scenario.startedAt : 'unknown date'}${redisSource})`,
  };
}

const count = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The plan as lines for a terminal. */
export function renderPlan(plan: CapacityPlan): string {
  const { input, costs } = plan;
  const util = `${Math.round(plan.targetUtilization * 100)}%`;
  return [
    `Peak ${count(input.peakClaimsPerSec)} claims/s, stock ${count(input.stock)}, ` +
      `${input.perUserLimit} per user, every coupon stored within ${count(input.drainSeconds)} s`,
    '',
    `API processes          ${count(plan.apiProcesses)}   (${count(costs.apiClaimsPerSecPerProcess)} claims/s each, at ${util})`,
    `Redis masters          ${count(plan.redisMasters)}   (${count(plan.redisCpuMsPerSecBeforeSellOut)} CPU ms/s before sell-out, ` +
      `${count(plan.redisCpuMsPerSecAfterSellOut)} after; one core each, at ${util})`,
    `shards per event       ${count(plan.shardsPerEvent)}   ("auto": one per master${
      plan.redisMasters > plan.shardsPerEvent ? `; one event spreads over ${maxShardsPerEvent} at most` : ''
    })`,
    `relays                 ${count(plan.relays)}   (${count(costs.relayClaimsPerSec)} claims/s each)`,
    `Kafka partitions       ${count(plan.kafkaPartitions)}   (at least the workers, at least ${defaultPartitions})`,
    `workers                ${count(plan.workers)}   (${count(costs.workerRowsPerSec)} rows/s each)`,
    `database writes        ${count(plan.databaseRowsPerSec)} coupon rows/s`,
    '',
    `Sold out after at least ${count(plan.sellOutSecondsAtLeast, 3)} s; at least ${count(plan.usersServedAtLeast)} users get coupons.`,
    `Redis masters are sized so no claim waits at the peak; the whole stock's admissions take ` +
      `${count(plan.admissionCpuSeconds, 3)} Redis CPU s, so with fewer masters claims queue for about that long over them.`,
    `Costs: ${costs.redisCpuMsPerAdmission} Redis CPU ms per admission, ${costs.redisCpuMsPerSoldOut} per sold-out answer; ${costs.source}.`,
    '',
  ].join('\n');
}
