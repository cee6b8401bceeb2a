/**
 * pipeline-drain: how fast admitted claims land in the database through the real relay and worker processes.
 *
 *   node_modules/.bin/node src/bench/pipeline-drain.ts [--mode drop|worker] [--claims 100000]
 *                                                     [--max-writes-per-sec 0] [--batch-size 5000] [--workers 1]
 *
 * drop   (default) admits --claims claims through the gate's Lua script, with `firstcome relay` and
 *        `firstcome worker` running, and reports how long the coupons take to land after admission.
 * worker fills the topic with --claims claims first, then starts `firstcome worker` alone and reports the
 *        rows/s it writes (from the coupons' issued_at, so process start-up is not counted).
 *
 * Every run uses a private redis-server, a scratch database on DATABASE_URL's server (PostgreSQL, or MySQL
 * / MariaDB with a mysql:// URL) and a fresh topic on KAFKA_BROKERS (default 127.0.0.1:9092), and removes
 * them afterwards. Other KAFKA_* / WORKER_* / RELAY_* variables pass through.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Admin, Producer, stringSerializers } from '@platformatic/kafka';
import type { AdmittedClaim } from '../claim.ts';
import { loadConfig } from '../config.ts';
import { createStore, dialectOf, ensureDatabaseExists, type Store } from '../store/store.ts';
import { type GateHandle, openGate } from '../gate/open-gate.ts';
import { encodeClaim } from '../kafka/claim-codec.ts';
import { ensureClaimsTopic } from '../kafka/claims-topic.ts';
import { freePort } from '../runtime/ports.ts';
import { dropScratchDatabase } from './scratch-database.ts';

const repoRoot = join(import.meta.dirname, '..', '..');
const { values: args } = parseArgs({
  options: {
    mode: { type: 'string', default: 'drop' },
    claims: { type: 'string', default: '100000' },
    'max-writes-per-sec': { type: 'string', default: '0' },
    'batch-size': { type: 'string' },
    workers: { type: 'string', default: '1' },
  },
});
const claims = Number(args.claims);
const workers = Number(args.workers);
const mode = args.mode;
if (!Number.isSafeInteger(claims) || claims < 1 || !(workers >= 1) || (mode !== 'drop' && mode !== 'worker')) {
  process.stderr.write(
    'usage: pipeline-drain.ts [--mode drop|worker] [--claims N] [--max-writes-per-sec N] [--batch-size N] [--workers N]\n',
  );
  process.exit(2);
}
const config = loadConfig();
const suffix = randomBytes(4).toString('hex');
const names = { database: `firstcome_drain_${suffix}`, topic: `firstcome.drain.${suffix}`, eventId: `drain_${suffix}` };
const databaseUrl = (() => {
  const url = new URL(config.DATABASE_URL);
  url.pathname = `/${names.database}`;
  return url.toString();
})();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number) => Number((ms / 1000).toFixed(2));

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 600_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function spawnRole(role: 'relay' | 'worker', env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [join(repoRoot, 'bin/firstcome.js'), role], {
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

const countCoupons = (store: Store) => store.countCoupons(names.eventId);

/** Rows per second between the first and the last batch's commit, from issued_at (the transaction time). */
async function writeRate() {
  const db = dialectOf(databaseUrl).connect({ url: databaseUrl, poolSize: 1 });
  try {
    const { first, last } = await db
      .selectFrom('coupons')
      .select((eb) => [eb.fn.min('issued_at').as('first'), eb.fn.max('issued_at').as('last')])
      .executeTakeFirstOrThrow();
    const { firstBatch } = await db
      .selectFrom('coupons')
      .select((eb) => eb.fn.countAll<number>().as('firstBatch'))
      .where('issued_at', '=', first)
      .executeTakeFirstOrThrow();
    const spanMs = last.getTime() - first.getTime();
    return {
      spanSeconds: seconds(spanMs),
      rowsPerSec: spanMs > 0 ? Math.round((claims - Number(firstBatch)) / (spanMs / 1000)) : null,
    };
  } finally {
    await db.destroy();
  }
}

async function main() {
  const redisPort = await freePort();
  const redisServer = spawn(
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  const roles: ChildProcess[] = [];
  let gate: GateHandle | undefined;
  let store: Store | undefined;
  try {
    await ensureDatabaseExists(databaseUrl);
    store = createStore({ url: databaseUrl, poolSize: 2 });
    await store.migrate();
    const event = await store.insertEvent({
      id: names.eventId,
      name: 'drain',
      stock: claims,
      perUserLimit: 1,
      startsAt: null,
      endsAt: null,
    });
    const kafka = { brokers: config.KAFKA_BROKERS, topic: names.topic };
    await ensureClaimsTopic(kafka, config.KAFKA_PARTITIONS);
    const env = {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      KAFKA_TOPIC: names.topic,
      DB_MAX_WRITES_PER_SEC: args['max-writes-per-sec'],
      ...(args['batch-size'] ? { WORKER_BATCH_SIZE: args['batch-size'] } : {}),
    };
    await until('the private Redis', async () => {
      gate ??= await openGate({ url: redisUrl }, () => undefined).catch(() => undefined);
      return gate !== undefined;
    });

    if (mode === 'worker') {
      const producer = new Producer({
        clientId: 'drain',
        bootstrapBrokers: kafka.brokers,
        serializers: stringSerializers,
      });
      const filledAt = Date.now();
      for (let from = 0; from < claims; from += 5000) {
        const chunk: AdmittedClaim[] = [];
        for (let i = from; i < Math.min(claims, from + 5000); i++) {
          chunk.push({
            claimId: `c${suffix}-${i}`,
            eventId: event.id,
            userId: `u${i}`,
            seq: i + 1,
            slot: 1,
            admittedAtMs: Date.now(),
          });
        }
        await producer.send({ messages: chunk.map((claim) => ({ topic: kafka.topic, ...encodeClaim(claim) })) });
      }
      await producer.close();
      const filledSeconds = seconds(Date.now() - filledAt);
      const startedAt = Date.now();
      for (let i = 0; i < workers; i++) roles.push(spawnRole('worker', env));
      await until('every coupon', async () => (await countCoupons(store!)) >= claims);
      const rate = await writeRate();
      report({
        topicFilledSeconds: filledSeconds,
        spawnToLastCouponSeconds: seconds(Date.now() - startedAt),
        workerWrite: rate,
      });
      return;
    }

    roles.push(spawnRole('relay', env));
    for (let i = 0; i < workers; i++) roles.push(spawnRole('worker', env));
    const openedGate = gate!;
    await openedGate.loadEvent(event);
    // One claim through the whole pipeline first: the roles are up, the worker owns its partitions.
    await openedGate.admitClaim({ eventId: event.id, userId: 'warm-up', claimId: `warm-up-${suffix}` });
    await until('the warm-up coupon', async () => (await countCoupons(store!)) === 1, 120_000);
    const admittedFrom = Date.now();
    const inFlight = 512;
    for (let from = 1; from < claims; from += inFlight) {
      const to = Math.min(claims, from + inFlight);
      const batch = [];
      for (let i = from; i < to; i++) {
        batch.push(openedGate.admitClaim({ eventId: event.id, userId: `u${i}`, claimId: `c${suffix}-${i}` }));
      }
      await Promise.all(batch);
    }
    const admittedUntil = Date.now();
    await until('every coupon', async () => (await countCoupons(store!)) >= claims);
    const landedAt = Date.now();
    report({
      admissionSeconds: seconds(admittedUntil - admittedFrom),
      admissionsPerSec: Math.round((claims - 1) / ((admittedUntil - admittedFrom) / 1000)),
      lastAdmissionToLastCouponSeconds: seconds(landedAt - admittedUntil),
      firstAdmissionToLastCouponSeconds: seconds(landedAt - admittedFrom),
      workerWrite: await writeRate(),
    });
  } finally {
    await Promise.all(
      roles.map(
        (child) =>
          new Promise((resolve) =>
            child.exitCode !== null ? resolve(null) : (child.once('exit', resolve), child.kill('SIGTERM')),
          ),
      ),
    );
    await gate?.close();
    redisServer.kill('SIGKILL');
    await store?.destroy();
    await dropScratchDatabase(databaseUrl, names.database);
    const kafkaAdmin = new Admin({ clientId: 'drain', bootstrapBrokers: config.KAFKA_BROKERS });
    await kafkaAdmin.deleteTopics({ topics: [names.topic] }).catch(() => undefined);
    await kafkaAdmin.close();
  }
}

function report(figures: Record<string, unknown>) {
  const settings = {
    mode,
    claims,
    workers,
    maxWritesPerSec: Number(args['max-writes-per-sec']),
    workerBatchSize: args['batch-size'] ? Number(args['batch-size']) : config.WORKER_BATCH_SIZE,
    relayBatchSize: config.RELAY_BATCH_SIZE,
    partitions: config.KAFKA_PARTITIONS,
  };
  process.stdout.write(`${JSON.stringify({ ...settings, ...figures })}\n`);
}

await main();
