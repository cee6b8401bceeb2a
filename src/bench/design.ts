import { join } from 'node:path';
import type { ServerProcess } from './processes.ts';

export const benchAdminToken = 'firstcome-bench-admin-token';
export const userIdHeader = 'x-user-id';

export interface BenchEvent {
  id: string;
  stock: number;
  perUserLimit: number;
}

/** Where one design runs: its own database, Redis key prefix and Kafka topic, made for this run. */
export interface DesignSite {
  repoRoot: string;
  databaseUrl: string;
  redisUrl: string;
  /** The Redis Cluster's nodes (host:port) in `--redis cluster` mode; every design then uses the cluster. */
  redisClusterNodes?: string[] | undefined;
  /** firstcome's event shards (`--shards`). */
  shards: number | 'auto';
  /** Where the design's processes write how many Redis requests they sent (redis-call-counter.ts). */
  redisCallsDir?: string | undefined;
  kafkaBrokers: string[];
  keyPrefix: string;
  topic: string;
  /** When set, every server process writes a V8 CPU profile here on exit. */
  profileDir?: string | undefined;
  /** API processes the design runs on its port (node:cluster when above 1). */
  workers: number;
}

export interface LaunchedDesign {
  origin: string;
  processes: ServerProcess[];
  /** Anything the report must say about how this design ran. */
  notes?: string[];
  createEvent(event: BenchEvent): Promise<void>;
  /** Stops the processes and removes what the design left in Redis and Kafka. */
  stop(): Promise<void>;
}

export interface Design {
  name: string;
  /** What it does, for the report. */
  summary: string;
  /** False for `ceiling`, which stores nothing: its correctness columns are not applicable. */
  storesCoupons: boolean;
  launch(site: DesignSite): Promise<LaunchedDesign>;
}

const redisCallCounter = join(import.meta.dirname, 'redis-call-counter.ts');

/**
 * Node's own flags for a server process: the Redis request counter (it does nothing unless the process's
 * env names a directory, see `redisCallsEnv`), and a CPU profile per process when the run asks for one.
 */
export const nodeArgsOf = (site: DesignSite, label: string, entry: string, args: string[]) => [
  ...(site.redisCallsDir ? ['--import', redisCallCounter] : []),
  ...(site.profileDir
    ? ['--cpu-prof', '--cpu-prof-dir', site.profileDir, '--cpu-prof-name', `${label}.cpuprofile`]
    : []),
  entry,
  ...args,
];

/** The env that turns the Redis request counter on in a design's processes. */
export const redisCallsEnv = (site: DesignSite): NodeJS.ProcessEnv =>
  site.redisCallsDir ? { FIRSTCOME_BENCH_REDIS_CALLS_DIR: site.redisCallsDir } : {};
