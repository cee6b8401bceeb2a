import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  type BrokenPromise,
  checkPromises,
  type ChaosEvent,
  type DrainResult,
  type Tallies,
  admittedClaims,
  waitForDrain,
} from './checks.ts';
import { type FaultRecord, injectFaults } from './faults.ts';
import { type ClaimRecord, runLoad, type RequestRecord } from './load.ts';
import { describeFault, type PlannedFault, planFaults, roleNames, type RoleName } from './plan.ts';
import { reaper } from './reaper.ts';
import { createRoleSlot, type ExitRecord, type RoleSlot } from './roles.ts';
import {
  createPrivateKafka,
  createScratchDatabase,
  databaseUrlFor,
  dropScratchDatabase,
  freePort,
  type PersistentRedis,
  type PrivateKafka,
  startPersistentRedis,
  snapshotTree,
  startTcpProxy,
  type TcpProxy,
} from './services.ts';

export const repoRoot = join(import.meta.dirname, '../../..');

export interface ChaosOptions {
  seconds: number;
  seed: number;
  claims: number;
  /** Logical claims per user (so users = claims / attemptsPerUser). */
  attemptsPerUser?: number;
  perUserLimit?: number;
  /** Stock as a share of the claims; below what the users can take, so the drop sells out. */
  stockShare?: number;
  /** The PostgreSQL server the run makes its database on (a URL; its database part is ignored). */
  postgresServer?: string;
  drainTimeoutMs?: number;
  /** Run the role processes from the working tree itself rather than from a copy taken at the start. */
  liveTree?: boolean;
  /** Keep the processes' logs even when every promise held (they are kept anyway when one broke). */
  keepLogs?: boolean;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface ChaosResult {
  seed: number;
  runId: string;
  event: ChaosEvent & { users: number };
  plan: PlannedFault[];
  faults: FaultRecord[];
  unexpectedExits: ExitRecord[];
  restarts: Record<string, number>;
  loadMs: number;
  /** From the start of the load: the last 202 answered. */
  lastAdmittedAtMs: number | undefined;
  /** The newest coupon's issued_at, from the start of the load. */
  lastIssuedAtMs: number | undefined;
  drain: DrainResult | undefined;
  tallies: Tallies | undefined;
  broken: BrokenPromise[];
  /** The event as the admin API shows it after the drain, when it answered. */
  adminView: Record<string, unknown> | undefined;
  aborted: boolean;
  durationMs: number;
  logDir: string;
}

/** The environment of every role process: only what is set here, so nothing can point it at the shared services. */
function roleEnv(base: Record<string, string>): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'LANG', 'TZ', 'TMPDIR'];
  return { ...Object.fromEntries(keep.flatMap((k) => (process.env[k] ? [[k, process.env[k]]] : []))), ...base };
}

/**
 * One chaos run: its own Redis (AOF), Kafka broker and database behind a TCP proxy; 2 serve, 2 relay and
 * 2 worker processes; the seeded faults while the claims go in; then the drain and every promise checked
 * in the database. Everything it started is stopped and removed in `finally` (the logs stay when a promise
 * broke or the run failed).
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const abort = new AbortController();
  const onOuterAbort = () => abort.abort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const signal = abort.signal;
  const attemptsPerUser = options.attemptsPerUser ?? 3;
  const perUserLimit = options.perUserLimit ?? 2;
  const windowMs = options.seconds * 1000;
  const runId = randomBytes(4).toString('hex');
  const users = Math.ceil(options.claims / attemptsPerUser);
  const stock = Math.max(
    1,
    Math.min(Math.floor(options.claims * (options.stockShare ?? 0.6)), users * perUserLimit - 1),
  );
  const event = { id: `chaos_${runId}`, stock, perUserLimit, users };
  const postgresServer = options.postgresServer ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const adminToken = randomBytes(16).toString('hex');
  const runDir = await mkdtemp(join(tmpdir(), `firstcome-chaos-${options.seed}-`));
  const logDir = join(runDir, 'logs');
  const startedAt = Date.now();
  let loadStartedAt = 0;
  const sinceStart = () => (loadStartedAt ? Date.now() - loadStartedAt : 0);

  const result: ChaosResult = {
    seed: options.seed,
    runId,
    event,
    plan: planFaults(options.seed, windowMs),
    faults: [],
    unexpectedExits: [],
    restarts: {},
    loadMs: 0,
    lastAdmittedAtMs: undefined,
    lastIssuedAtMs: undefined,
    drain: undefined,
    tallies: undefined,
    broken: [],
    adminView: undefined,
    aborted: false,
    durationMs: 0,
    logDir,
  };

  const dbName = `firstcome_chaos_${runId}`;
  let dbCreated = false;
  let proxy: TcpProxy | undefined;
  let redis: PersistentRedis | undefined;
  let kafka: PrivateKafka | undefined;
  let pool: pg.Pool | undefined;
  const slots = new Map<RoleName, RoleSlot>();
  let ok = false;
  // If the process exits mid-run (an uncaught error, process.exit), nothing it started may outlive it.
  const killOnExit = () => reaper.killAllNow();
  process.once('exit', killOnExit);
  try {
    await mkdir(logDir, { recursive: true });
    log(
      `chaos run ${runId}: seed ${options.seed}, ${options.seconds} s, ${options.claims} claims by ${users} users, stock ${stock}, perUserLimit ${perUserLimit}`,
    );
    log(`logs: ${logDir}`);

    const directUrl = await createScratchDatabase(postgresServer, dbName);
    dbCreated = true;
    const server = new URL(postgresServer);
    proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port || 5432) });
    const proxiedUrl = new URL(directUrl);
    proxiedUrl.hostname = '127.0.0.1';
    proxiedUrl.port = String(proxy.port);
    pool = new pg.Pool({ connectionString: directUrl, max: 2 });
    // An idle connection the server ends (the database dropped WITH (FORCE), an operator) is not the run's failure.
    pool.on('error', () => undefined);

    redis = await startPersistentRedis(join(runDir, 'redis'), join(logDir, 'redis.log'));
    kafka = await createPrivateKafka(repoRoot, join(runDir, 'kafka'), join(logDir, 'kafka.log'));
    log(
      `redis ${redis.url} (appendonly yes, everysec), postgres ${databaseUrlFor(postgresServer, dbName)} via proxy :${proxy.port}; starting Kafka on ${kafka.brokers} ...`,
    );
    await kafka.start();
    if (signal.aborted) throw new Error('aborted');

    // Restarted processes must run the code their predecessors ran, whatever is edited meanwhile.
    const codeRoot = options.liveTree ? repoRoot : await snapshotTree(repoRoot, join(runDir, 'tree'));
    const env = roleEnv({
      HOST: '127.0.0.1',
      REDIS_URL: redis.url,
      KAFKA_BROKERS: kafka.brokers,
      KAFKA_TOPIC: `firstcome.chaos.${runId}`,
      KAFKA_PARTITIONS: '4',
      DATABASE_URL: proxiedUrl.toString(),
      ADMIN_TOKEN: adminToken,
      AUTH_MODE: 'trusted-header',
      LOG_LEVEL: 'warn',
      API_WORKERS: '1',
      // A relay that stopped (killed, paused) leaves its unacknowledged entries to the other after 5 s.
      RELAY_CLAIM_IDLE_MS: '5000',
      RETRY_INTERVAL_MS: '1000',
    });
    const onUnexpectedExit = (exit: ExitRecord) => {
      result.unexpectedExits.push(exit);
      log(
        `[+${(exit.atMs / 1000).toFixed(1)}s] ${exit.role} exited on its own (code ${exit.code}, signal ${exit.signal}); restarting it in 1 s`,
      );
    };
    for (const name of roleNames) {
      const command = name.split('-')[0] as 'serve' | 'relay' | 'worker';
      slots.set(
        name,
        createRoleSlot({
          name,
          command,
          ...(command === 'serve' ? { port: await freePort() } : {}),
          env,
          repoRoot: codeRoot,
          logDir,
          sinceStart,
          onUnexpectedExit,
        }),
      );
    }
    const serves = roleNames.filter((n) => n.startsWith('serve')).map((n) => slots.get(n)!);
    // The first process migrates the fresh database alone; the rest start together once it is up.
    const first = serves[0]!;
    first.start();
    if (!(await first.waitReady(60_000))) throw new Error(`${first.name} did not answer /healthz:\n${first.output()}`);
    for (const slot of slots.values()) slot.start();
    for (const s of serves) {
      if (!(await s.waitReady(60_000))) throw new Error(`${s.name} did not answer /healthz:\n${s.output()}`);
    }
    const baseUrls = serves.map((s) => `http://127.0.0.1:${s.port}`);
    const created = await fetch(`${baseUrls[0]}/admin/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: event.id, name: 'chaos drop', stock, perUserLimit }),
    });
    if (created.status !== 201) throw new Error(`creating the event: ${created.status} ${await created.text()}`);
    log(`event ${event.id} created; 6 role processes up (serve on ${serves.map((s) => s.port).join(', ')})`);

    log(`fault plan (seed ${options.seed}):`);
    for (const f of result.plan) log(`  #${f.index} +${(f.atMs / 1000).toFixed(1)}s ${describeFault(f)}`);

    // Live tallies, printed every 5 s while the load runs.
    const live = { answered: 0, admitted: 0, refused: 0, unavailable: 0, network: 0, other: 0 };
    const onAnswer = (q: RequestRecord) => {
      live.answered++;
      if (q.status === 202) live.admitted++;
      else if (q.status === 409) live.refused++;
      else if (q.status === 503) live.unavailable++;
      else if (q.status === null) live.network++;
      else live.other++;
    };
    loadStartedAt = Date.now();
    const ticker = setInterval(() => {
      log(
        `[+${(sinceStart() / 1000).toFixed(1)}s] requests ${live.answered}: 202 ${live.admitted}, 409 ${live.refused}, 503 ${live.unavailable}, no answer ${live.network}, other ${live.other}`,
      );
    }, 5000);
    let records: ClaimRecord[];
    let faults: FaultRecord[];
    try {
      [records, faults] = await Promise.all([
        runLoad({
          baseUrls,
          eventId: event.id,
          claims: options.claims,
          attemptsPerUser,
          windowMs,
          seed: options.seed,
          runId,
          signal,
          sinceStart,
          onAnswer,
        }),
        injectFaults({
          plan: result.plan,
          windowMs,
          targets: { slots, redis, kafka, postgresProxy: proxy },
          signal,
          sinceStart,
          log,
        }),
      ]);
    } finally {
      clearInterval(ticker);
    }
    result.faults = faults;
    result.loadMs = sinceStart();
    if (signal.aborted) throw new Error('aborted');
    log(`[+${(sinceStart() / 1000).toFixed(1)}s] load done and faults stopped; waiting for the drain`);

    // Whatever the last fault left, every dependency is back before the drain is measured.
    await proxy.restore();
    redis.signal('SIGCONT');
    if (!redis.isRunning()) await redis.start();
    for (const slot of slots.values()) {
      slot.signal('SIGCONT');
      if (!slot.isRunning()) slot.start();
    }

    const admitted = [...admittedClaims(records).keys()];
    for (const r of records) {
      for (const q of r.requests) {
        if (q.status === 202) result.lastAdmittedAtMs = Math.max(result.lastAdmittedAtMs ?? 0, q.atMs + q.ms);
      }
    }
    result.drain = await waitForDrain(pool, event.id, admitted, {
      timeoutMs: options.drainTimeoutMs ?? 180_000,
      signal,
    });
    log(
      `drain: ${result.drain.settled}/${result.drain.admitted} admitted claims settled in ${(result.drain.settledAfterMs / 1000).toFixed(1)} s` +
        `${result.drain.complete ? '' : ' (NOT complete: timed out)'}; pipeline ${result.drain.quiet ? 'quiet' : 'still moving'}`,
    );
    const checked = await checkPromises(pool, event, records);
    result.tallies = checked.tallies;
    if (checked.tallies.lastIssuedAt) result.lastIssuedAtMs = checked.tallies.lastIssuedAt.getTime() - loadStartedAt;
    result.broken = checked.broken;
    result.adminView = await fetch(`${baseUrls[0]}/admin/events/${event.id}`, {
      headers: { authorization: `Bearer ${adminToken}` },
      signal: AbortSignal.timeout(5000),
    })
      .then((r) => (r.ok ? (r.json() as Promise<Record<string, unknown>>) : undefined))
      .catch(() => undefined);
    ok = result.broken.length === 0;
    return result;
  } catch (error) {
    if (signal.aborted) {
      result.aborted = true;
      return result;
    }
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
    process.removeListener('exit', killOnExit);
    for (const [name, slot] of slots) result.restarts[name] = Math.max(0, slot.starts - 1);
    await Promise.allSettled([...slots.values()].map((s) => s.stop()));
    await Promise.allSettled([kafka?.destroy(), redis?.destroy(), proxy?.cut()]);
    await pool?.end().catch(() => undefined);
    if (dbCreated) {
      await dropScratchDatabase(postgresServer, dbName).catch((e: unknown) =>
        log(`could not drop ${dbName}: ${String(e)}`),
      );
    }
    reaper.killAllNow();
    if (!ok || options.keepLogs) {
      await cp(join(runDir, 'kafka/logs/server.log'), join(logDir, 'kafka-server.log')).catch(() => undefined);
    }
    await rm(join(runDir, 'kafka'), { recursive: true, force: true });
    await rm(join(runDir, 'redis'), { recursive: true, force: true });
    await rm(join(runDir, 'tree'), { recursive: true, force: true });
    if (ok && !options.keepLogs) await rm(runDir, { recursive: true, force: true });
    result.durationMs = Date.now() - startedAt;
  }
}
