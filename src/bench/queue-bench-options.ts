import { parseArgs } from 'node:util';
import { AppError } from '../errors.ts';
import { maxShards } from '../gate/shards.ts';
import { type BenchOptions, positive, redisOf } from './options.ts';

export interface QueueBenchOptions {
  /** Users who join the pre-queue in one burst. */
  users: number;
  /** Calls in flight from this process (node-redis pipelines those issued in the same tick). */
  concurrency: number;
  redis: BenchOptions['redis'];
  /** The event's shards, one variant each, in order. */
  shards: number[];
  /** admitPerSecond of each paced run, in order. */
  rates: number[];
  /** How long each paced run lasts. */
  paceSeconds: number;
  quick: boolean;
  json: string | undefined;
  out: string;
}

export const queueBenchUsage = `Usage: firstcome bench queue [options]

Measures an event's queue (issue 13, the fair start) through the gate alone, no HTTP, for each --shards:
a pre-queue of --users joining in one burst (joins/s, beside the gate's plain claim admissions/s in the
same run and their ratio), Redis memory per waiting user (INFO used_memory summed over the masters, before
and after the joins, and after every position is cached), the opening (open, then every user's position),
and paced admission (the real queue scheduler, its 100 ms tick, at each --rates for --pace-seconds: the
turns each second and their error against the setting). A 5000-user warm-up first, not counted. Checks that
every user has a distinct position and that the window never passes the joiners. Deletes its events.

  --users N            users joining the pre-queue, and claims of the reference (default 200000; --quick 10000)
  --concurrency N      calls in flight (default 256)
  --redis MODE         single: REDIS_URL (a logical database of the run's own); cluster: REDIS_CLUSTER_NODES,
                       else 127.0.0.1:7000–7005 (default single). Memory is read from the whole server: give
                       it a Redis nobody else is using
  --shards a,b         the event's shards, one variant each (default 1; on a cluster 1,3)
  --rates a,b          admitPerSecond of each paced run (default 200,2000)
  --pace-seconds N     seconds of each paced run (default 10; --quick 2)
  --quick              a small correctness run: 10000 users, 2 s paced runs
  --json FILE          also write the results as JSON to FILE
  --out DIR            where queue.json and queue.md go (default bench-results)
`;

const listOf = (name: string, value: string, max: number): number[] => {
  const items = value.split(',').map((item) => positive(name, item.trim(), 1));
  if (items.some((n) => n > max)) throw new AppError('CONFIG_INVALID', `--${name}: each at most ${max}`);
  if (new Set(items).size !== items.length) throw new AppError('CONFIG_INVALID', `--${name}: each once`);
  return items;
};

const parseFlags = (argv: string[]) => {
  try {
    return parseArgs({
      args: argv,
      options: {
        users: { type: 'string' },
        concurrency: { type: 'string' },
        redis: { type: 'string' },
        shards: { type: 'string' },
        rates: { type: 'string' },
        'pace-seconds': { type: 'string' },
        quick: { type: 'boolean', default: false },
        json: { type: 'string' },
        out: { type: 'string' },
      },
    });
  } catch (error) {
    throw new AppError('CONFIG_INVALID', (error as Error).message, { cause: error });
  }
};

/** `bench queue`'s flags (argv after `queue`); a bad one is CONFIG_INVALID, as the spike's are. */
export function parseQueueBenchArgs(argv: string[]): QueueBenchOptions {
  const values = parseFlags(argv).values;
  const redis = redisOf(values.redis);
  const users = positive('users', values.users, values.quick ? 10_000 : 200_000);
  const rates = listOf('rates', values.rates ?? '200,2000', 100_000);
  const paceSeconds = positive('pace-seconds', values['pace-seconds'], values.quick ? 2 : 10);
  // Each paced run moves the window on the same queue: its first advance may add a second's worth at once,
  // and its first second is not counted (queue-pace.ts).
  const turns = rates.reduce((sum, rate) => sum + rate * (paceSeconds + 2), 0);
  if (turns > users) {
    throw new AppError(
      'CONFIG_INVALID',
      `--users ${users}: the paced runs need ${turns} users in the queue (Σ rate × (pace-seconds + 2))`,
    );
  }
  return {
    users,
    concurrency: positive('concurrency', values.concurrency, 256),
    redis,
    shards: listOf('shards', values.shards ?? (redis === 'cluster' ? '1,3' : '1'), maxShards),
    rates,
    paceSeconds,
    quick: values.quick,
    json: values.json,
    out: values.out ?? 'bench-results',
  };
}
