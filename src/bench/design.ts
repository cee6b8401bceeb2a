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

/** Node's own flags for a server process: a CPU profile per process when the run asks for one. */
export const nodeArgsOf = (site: DesignSite, label: string, entry: string, args: string[]) => [
  ...(site.profileDir
    ? ['--cpu-prof', '--cpu-prof-dir', site.profileDir, '--cpu-prof-name', `${label}.cpuprofile`]
    : []),
  entry,
  ...args,
];
