/**
 * gate-admissions: admissions per second through the gate alone (no HTTP), side by side in one run, for
 * what the gate's settings cost: one shard against several, and REDIS_WAIT_REPLICAS 0 against 1.
 *
 *   node_modules/.bin/node src/bench/gate-admissions.ts [--claims 20000] [--concurrency 256] [--rounds 3]
 *       [--cluster 127.0.0.1:7000,...] [--variants shards=1,shards=3,shards=3+wait=1]
 *
 * Each round runs every variant once, in a rotated order, on a fresh event of stock --claims with
 * --concurrency claims in flight, and checks that exactly the stock was admitted with distinct tickets.
 * Beside admissions/s: the script calls (EVALSHA and EVAL, summed over the masters' INFO commandstats) per
 * admission, which is 1 when no claim needed a lease of its own.
 * On a single Redis (REDIS_URL) `wait=1` needs a replica; the local cluster (scripts/local-redis-cluster)
 * has one per master. Prints one line per run and the median per variant; deletes its events.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { EventDefinition } from '../claim.ts';
import { loadConfig } from '../config.ts';
import { openGate } from '../gate/open-gate.ts';
import { connectRedis, createRedis, isCluster } from '../gate/redis.ts';

const { values: args } = parseArgs({
  options: {
    claims: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '256' },
    rounds: { type: 'string', default: '3' },
    cluster: { type: 'string' },
    variants: { type: 'string', default: 'shards=1,shards=3,shards=3+wait=1' },
  },
});

interface Variant {
  name: string;
  shards: number;
  waitReplicas: number;
}

const parseVariant = (name: string): Variant => {
  const fields = new Map(name.split('+').map((part) => part.split('=') as [string, string]));
  const shards = Number(fields.get('shards') ?? 1);
  const waitReplicas = Number(fields.get('wait') ?? 0);
  if (!(shards >= 1 && shards <= 256) || !(waitReplicas >= 0 && waitReplicas <= 5)) {
    throw new Error(`--variants: "${name}" is not shards=N[+wait=N]`);
  }
  return { name, shards, waitReplicas };
};

const claims = Number(args.claims);
const concurrency = Number(args.concurrency);
const rounds = Number(args.rounds);
const variants = args.variants.split(',').map(parseVariant);
const config = loadConfig();
const clusterNodes = args.cluster?.split(',') ?? config.REDIS_CLUSTER_NODES;
const redisOptions = { url: config.REDIS_URL, clusterNodes, password: config.REDIS_PASSWORD };

/** EVALSHA and EVAL calls so far, summed over every master. */
async function scriptCalls(): Promise<number> {
  const redis = await connectRedis(createRedis(redisOptions), () => undefined);
  try {
    const nodes = isCluster(redis) ? await Promise.all(redis.masters.map((m) => redis.nodeClient(m))) : [redis];
    let calls = 0;
    for (const node of nodes) {
      const stats = await node.info('commandstats');
      for (const match of stats.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)) calls += Number(match[1]);
    }
    return calls;
  } finally {
    redis.destroy();
  }
}

async function runOnce(variant: Variant): Promise<{ rate: number; callsPerAdmission: number }> {
  const gate = await openGate(
    { ...redisOptions, replicaWait: { replicas: variant.waitReplicas, timeoutMs: 1000 } },
    () => undefined,
  );
  const event: EventDefinition = {
    id: `gatebench_${randomBytes(5).toString('hex')}`,
    name: 'gate bench',
    stock: claims,
    perUserLimit: 1,
    shards: variant.shards,
    startsAt: null,
    endsAt: null,
    closedAt: null,
    createdAt: new Date(),
    queue: null,
  };
  try {
    await gate.loadEvent(event);
    const callsBefore = await scriptCalls();
    const tickets = new Set<number>();
    let next = 0;
    const startedAt = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < claims) {
          const i = next++;
          const admission = await gate.admitClaim({ eventId: event.id, userId: `u${i}`, claimId: `c${i}` });
          if (admission.kind === 'ADMITTED') tickets.add(admission.seq);
        }
      }),
    );
    const seconds = (performance.now() - startedAt) / 1000;
    const callsPerAdmission = ((await scriptCalls()) - callsBefore) / claims;
    if (tickets.size !== claims) throw new Error(`${variant.name}: admitted ${tickets.size} of ${claims}`);
    return { rate: claims / seconds, callsPerAdmission };
  } finally {
    await gate.deleteEvents([event.id]);
    await gate.close();
  }
}

const results = new Map<string, number[]>(variants.map((v) => [v.name, []]));
for (let round = 0; round < rounds; round++) {
  for (let i = 0; i < variants.length; i++) {
    const variant = variants[(i + round) % variants.length]!;
    const { rate, callsPerAdmission } = await runOnce(variant);
    results.get(variant.name)!.push(rate);
    process.stdout.write(
      `round ${round + 1}  ${variant.name.padEnd(20)} ${Math.round(rate)} admissions/s  ` +
        `${callsPerAdmission.toFixed(3)} script calls/admission\n`,
    );
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const reference = median(results.get(variants[0]!.name)!);
process.stdout.write(`\nmedian of ${rounds} rounds, ${claims} claims, ${concurrency} in flight:\n`);
for (const [name, rates] of results) {
  const rate = median(rates);
  process.stdout.write(`${name.padEnd(20)} ${Math.round(rate)} admissions/s  ${(rate / reference).toFixed(2)}×\n`);
}
