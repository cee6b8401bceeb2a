import { parseArgs } from 'node:util';
import { maxApiWorkers } from '../config.ts';
import { maxShards } from '../gate/shards.ts';
import { AppError } from '../errors.ts';

export interface BenchOptions {
  users: number;
  attempts: number;
  stock: number;
  perUserLimit: number;
  connections: number;
  designs: string[];
  quick: boolean;
  /** Per design, the load stops sending after this long (claims in flight finish). */
  maxSeconds: number;
  warmupSeconds: number;
  /** How long the bench waits for a design's database to hold every admitted coupon. */
  drainTimeoutSeconds: number;
  seed: number;
  /** Each design runs this many times, interleaved; the report takes the median. */
  rounds: number;
  json: string | undefined;
  out: string;
  profile: boolean;
  /** API processes on the design's port (node:cluster), the same for every design of the run. */
  workers: number;
  /** The Redis every design uses: the single REDIS_URL, or the Redis Cluster (REDIS_CLUSTER_NODES or 7000–7005). */
  redis: 'single' | 'cluster';
  /** firstcome's event `shards` (admin create body); 'auto' = one per cluster master, 1 on a single Redis. */
  shards: number | 'auto';
  /** Which database every design runs on; undefined: the kind of --database-url, else of DATABASE_URL. */
  db: DatabaseKind | undefined;
  /** The database server (`--database-url`), instead of DATABASE_URL. */
  databaseUrl: string | undefined;
}

export type DatabaseKind = 'postgres' | 'mysql';

/** Where `--db` goes when DATABASE_URL is of the other kind and no --database-url is given: this machine's. */
export const localDatabaseServers: Record<DatabaseKind, string> = {
  postgres: 'postgres://postgres@127.0.0.1:5432/postgres',
  // The local MariaDB's user (scripts/lib/services.sh), which may make databases named firstcome_* only.
  mysql: 'mysql://firstcome:firstcome@127.0.0.1:3306/firstcome',
};

export const benchUsage = `Usage: firstcome bench [options]

Runs the spike against each design in turn, one fresh database each, and reports them side by side.
\`firstcome bench queue\` measures an event's queue instead (below).

  --users N            distinct users (default 100000; --quick 20000)
  --attempts N         claims per user, sent in random order (default 3)
  --stock N            coupons in the event (default 10000; --quick 2000)
  --per-user-limit N   coupons one user may hold (default 1)
  --connections N      keep-alive connections of the load generator (default 256)
  --designs a,b,c      which designs, in order (default ceiling,db-lock,redis-lock,course,firstcome)
  --quick              a smaller run: all five in under two minutes
  --max-seconds N      stop sending to one design after N seconds (default 120; --quick 10)
  --warmup-seconds N   load a warm-up event first (default 3; --quick 1; 0 for none)
  --drain-timeout N    seconds to wait for the database to hold every admitted coupon (default 300)
  --seed N             the random order of claims (default 1)
  --rounds N           run the designs N times, interleaved, and report each one's median (default 1)
  --json FILE          also write the results as JSON to FILE
  --out DIR            where results.json, results.md and chart.svg go (default bench-results)
  --profile            write a V8 CPU profile of every server process into DIR/profiles
  --workers N          API processes per design on its one port, the same N for every design, the ceiling
                       included (firstcome: serve --workers N; the others behind a node:cluster primary)
                       (default 1)
  --redis MODE         single: every design on REDIS_URL (its own logical database); cluster: every design on
                       the Redis Cluster of REDIS_CLUSTER_NODES, else the local one on 127.0.0.1:7000–7005
                       (scripts/local-redis-cluster start) (default single)
  --shards N|auto      firstcome's event shards, sent in the admin create body (1..256; default auto: one per
                       cluster master, 1 on a single Redis)
  --db postgres|mysql  the database every design runs on, each in a fresh database of its own on that server
                       (default: the kind of --database-url, else of DATABASE_URL). When DATABASE_URL is of the
                       other kind and no --database-url is given: this machine's PostgreSQL
                       (${localDatabaseServers.postgres})
                       or MariaDB (${localDatabaseServers.mysql})
  --database-url URL   the database server to use instead of DATABASE_URL (postgres:// or mysql://)
`;

const full = { users: 100_000, stock: 10_000, maxSeconds: 120, warmupSeconds: 3 };
const quick = { users: 20_000, stock: 2_000, maxSeconds: 10, warmupSeconds: 1 };

export const positive = (name: string, value: string | undefined, fallback: number, min = 1): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new AppError('CONFIG_INVALID', `--${name}: must be an integer ≥ ${min}, got "${value}"`);
  }
  return n;
};

const workersOf = (value: string | undefined): number => {
  const workers = positive('workers', value, 1);
  if (workers > maxApiWorkers) {
    throw new AppError('CONFIG_INVALID', `--workers: must be an integer from 1 to ${maxApiWorkers}, got "${value}"`);
  }
  return workers;
};

export const redisOf = (value: string | undefined): BenchOptions['redis'] => {
  if (value === undefined || value === 'single' || value === 'cluster') return value ?? 'single';
  throw new AppError('CONFIG_INVALID', `--redis: single or cluster, got "${value}"`);
};

const shardsOf = (value: string | undefined): BenchOptions['shards'] => {
  if (value === undefined || value === 'auto') return 'auto';
  const shards = Number(value);
  if (!Number.isInteger(shards) || shards < 1 || shards > maxShards) {
    throw new AppError('CONFIG_INVALID', `--shards: auto or an integer from 1 to ${maxShards}, got "${value}"`);
  }
  return shards;
};

const kindOfUrl = (url: string): DatabaseKind | undefined => {
  const protocol = URL.canParse(url) ? new URL(url).protocol : '';
  if (protocol === 'mysql:') return 'mysql';
  return protocol === 'postgres:' || protocol === 'postgresql:' ? 'postgres' : undefined;
};

const dbOf = (value: string | undefined): DatabaseKind | undefined => {
  if (value === undefined || value === 'postgres' || value === 'mysql') return value;
  throw new AppError('CONFIG_INVALID', `--db: postgres or mysql, got "${value}"`);
};

const databaseUrlOf = (value: string | undefined, db: DatabaseKind | undefined): string | undefined => {
  if (value === undefined) return undefined;
  const kind = kindOfUrl(value);
  if (!kind) throw new AppError('CONFIG_INVALID', `--database-url: a postgres:// or mysql:// URL, got "${value}"`);
  if (db && kind !== db) {
    throw new AppError('CONFIG_INVALID', `--database-url: a ${db} server for --db ${db}, got "${value}"`);
  }
  return value;
};

/**
 * The database server the run uses: --database-url; else DATABASE_URL when it is of the kind --db asks for;
 * else this machine's server of that kind.
 */
export function benchDatabaseServer(
  configUrl: string,
  options: Pick<BenchOptions, 'db' | 'databaseUrl'>,
): { kind: DatabaseKind; url: string } {
  const url = options.databaseUrl ?? configUrl;
  const kind = options.db ?? kindOfUrl(url) ?? 'postgres';
  return { kind, url: kindOfUrl(url) === kind ? url : localDatabaseServers[kind] };
}

const parseFlags = (argv: string[]) => {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        users: { type: 'string' },
        attempts: { type: 'string' },
        stock: { type: 'string' },
        'per-user-limit': { type: 'string' },
        connections: { type: 'string' },
        designs: { type: 'string' },
        quick: { type: 'boolean', default: false },
        'max-seconds': { type: 'string' },
        'warmup-seconds': { type: 'string' },
        'drain-timeout': { type: 'string' },
        seed: { type: 'string' },
        rounds: { type: 'string' },
        json: { type: 'string' },
        out: { type: 'string' },
        profile: { type: 'boolean', default: false },
        workers: { type: 'string' },
        redis: { type: 'string' },
        shards: { type: 'string' },
        db: { type: 'string' },
        'database-url': { type: 'string' },
      },
    });
  } catch (error) {
    throw new AppError('CONFIG_INVALID', (error as Error).message, { cause: error });
  }
};

export function parseBenchArgs(argv: string[], knownDesigns: string[], defaultDesigns: string[]): BenchOptions {
  const { values, positionals } = parseFlags(argv);
  if (positionals.length > 0) throw new AppError('CONFIG_INVALID', `unexpected argument "${positionals[0]}"`);
  const base = values.quick ? quick : full;
  const designs = values.designs?.split(',').map((d) => d.trim()) ?? defaultDesigns;
  if (new Set(designs).size !== designs.length) {
    throw new AppError('CONFIG_INVALID', '--designs: a design may appear once; --rounds N repeats them all');
  }
  const unknown = designs.filter((d) => !knownDesigns.includes(d));
  if (unknown.length > 0 || designs.length === 0) {
    throw new AppError(
      'CONFIG_INVALID',
      `--designs: unknown "${unknown.join(', ')}"; choose from ${knownDesigns.join(', ')}`,
    );
  }
  return {
    users: positive('users', values.users, base.users),
    attempts: positive('attempts', values.attempts, 3),
    stock: positive('stock', values.stock, base.stock),
    perUserLimit: positive('per-user-limit', values['per-user-limit'], 1),
    connections: positive('connections', values.connections, 256),
    designs,
    quick: values.quick,
    maxSeconds: positive('max-seconds', values['max-seconds'], base.maxSeconds),
    warmupSeconds: positive('warmup-seconds', values['warmup-seconds'], base.warmupSeconds, 0),
    drainTimeoutSeconds: positive('drain-timeout', values['drain-timeout'], 300),
    seed: positive('seed', values.seed, 1, 0),
    rounds: positive('rounds', values.rounds, 1),
    json: values.json,
    out: values.out ?? 'bench-results',
    profile: values.profile,
    workers: workersOf(values.workers),
    redis: redisOf(values.redis),
    shards: shardsOf(values.shards),
    db: dbOf(values.db),
    databaseUrl: databaseUrlOf(values['database-url'], dbOf(values.db)),
  };
}
