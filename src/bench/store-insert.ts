/**
 * store-insert: how fast the store writes coupons, batch by batch as the worker does, into the coupons
 * table as it is, as it was, and as it could be, next to the same statement into a table with one unique
 * index (issue 14). No Kafka, no worker: the store's own insertCoupons on one connection.
 *
 *   node_modules/.bin/node src/bench/store-insert.ts [--rows 100000] [--batch-size 5000] [--rounds 3]
 *       [--connections 1] [--stores postgres,mysql] [--designs name,name] [--postgres URL] [--mysql URL]
 *
 * Each design gets a scratch database of its own on the server (--postgres: default
 * postgres://postgres@127.0.0.1:5432/, --mysql: default mysql://firstcome:firstcome@127.0.0.1:3306/),
 * migrated and shaped as store-insert-designs.ts says, with one event of stock --rows. Every round writes
 * the same --rows claims (random UUID claim ids, one event, tickets 1..rows) into every design in turn,
 * the order rotating from round to round, after emptying its table; with --connections N, N batches at a
 * time, each on its own connection, as the worker's WORKER_WRITES_IN_FLIGHT does. It prints one JSON line per
 * measurement, then per store and design the median rows/s and the median of each round's ratio to
 * `one-unique-index`. The scratch databases are dropped at the end.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import type { AdmittedClaim } from '../claim.ts';
import type { Executor } from '../store/dialect.ts';
import { migrateThrough } from '../store/migrate.ts';
import { dialectOf } from '../store/store.ts';
import { createScratchDatabase, dropScratchDatabase } from './scratch-database.ts';
import { type InsertDesign, insertDesigns, type StoreKind } from './store-insert-designs.ts';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    'batch-size': { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '1' },
    stores: { type: 'string', default: 'postgres,mysql' },
    designs: { type: 'string' },
    postgres: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/' },
    mysql: { type: 'string', default: 'mysql://firstcome:firstcome@127.0.0.1:3306/' },
  },
});
const rows = Number(args.rows);
const batchSize = Number(args['batch-size']);
const rounds = Number(args.rounds);
const connections = Number(args.connections);
const stores = args.stores.split(',') as StoreKind[];
const wanted = args.designs?.split(',');
const reference = 'one-unique-index';
if (
  ![rows, batchSize, rounds, connections].every((n) => Number.isSafeInteger(n) && n >= 1) ||
  !stores.every((kind) => kind in insertDesigns)
) {
  process.stderr.write(
    'usage: store-insert.ts [--rows N] [--batch-size N] [--rounds N] [--connections N] [--stores postgres,mysql] [--designs a,b]\n',
  );
  process.exit(2);
}
const suffix = randomBytes(4).toString('hex');
const eventId = `insert_${suffix}`;

interface Contestant {
  design: InsertDesign;
  database: string;
  /** The --connections connections the design's rows are written on. */
  db: Executor;
  insert: (claims: AdmittedClaim[]) => Promise<number>;
  /** The server's CPU time so far, in seconds, by process: see serverCpuSeconds. */
  cpuSeconds: () => Promise<Map<number, number>>;
}

const clockTicksPerSec = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

/** User and system CPU time of a process of this machine, from /proc (the servers run here). */
async function processCpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSec;
}

/**
 * The CPU the server spends on the inserts, which a busy machine slows but does not inflate as it does the
 * wall clock: PostgreSQL's backend processes of the design's database (its connections); MariaDB's whole
 * server (one process, its threads; performance_schema, which would name the connection's thread, is off by
 * default), so other users of that server count too.
 */
async function serverCpuSeconds(kind: StoreKind, db: Executor): Promise<() => Promise<Map<number, number>>> {
  const cpuOf = async (pids: number[]) =>
    new Map(await Promise.all(pids.map(async (pid) => [pid, await processCpuSeconds(pid)] as const)));
  if (kind === 'postgres') {
    // Asked each time: the pool replaces a connection left idle between rounds.
    return async () => {
      const { rows } = await sql<{ pid: number }>`
        SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'`.execute(
        db,
      );
      return cpuOf(rows.map((row) => row.pid));
    };
  }
  const { rows } = await sql<{ file: string }>`SELECT @@pid_file AS file`.execute(db);
  const pid = Number((await readFile(rows[0]!.file, 'utf8')).trim());
  return () => cpuOf([pid]);
}

async function prepare(kind: StoreKind, serverUrl: string, design: InsertDesign, index: number): Promise<Contestant> {
  const database = `firstcome_insert_${suffix}_${kind}_${index}`;
  const url = await createScratchDatabase(serverUrl, database);
  const dialect = dialectOf(url);
  const db = dialect.connect({ url, poolSize: connections });
  // The store's own batch statement (what store.insertCoupons runs when no row is refused), on `db`.
  const insert = (claims: AdmittedClaim[]) => (design.insert ?? dialect.insertCouponBatch)(db, claims);
  const contestant = { design, database, db, insert, cpuSeconds: () => Promise.resolve(new Map<number, number>()) };
  try {
    await migrateThrough({ db, dialect }, design.migratedThrough);
    for (const statement of design.ddl) await sql.raw(statement).execute(db);
    // Columns every migration has: a design migrated only part way lacks the later ones (the queue's).
    await sql`INSERT INTO events (id, name, stock, per_user_limit) VALUES (${eventId}, 'insert', ${rows}, 1)`.execute(
      db,
    );
    return { ...contestant, cpuSeconds: await serverCpuSeconds(kind, db) };
  } catch (error) {
    await dispose(serverUrl, contestant);
    throw error;
  }
}

async function dispose(serverUrl: string, { db, database }: Contestant) {
  await db.destroy();
  await dropScratchDatabase(serverUrl, database);
}

interface Measurement {
  rowsPerSec: number;
  /** Rows per second of the server's CPU. */
  rowsPerCpuSec: number;
}

/** CPU seconds between two readings; a process that appeared in between started from nothing. */
const cpuBetween = (before: Map<number, number>, after: Map<number, number>) =>
  [...after].reduce((sum, [pid, seconds]) => sum + seconds - (before.get(pid) ?? 0), 0);

/** Empties the design's coupons, then writes every claim in batches, timing the writes alone. */
async function measure({ design, db, insert, cpuSeconds }: Contestant, claims: AdmittedClaim[]): Promise<Measurement> {
  await sql`TRUNCATE TABLE coupons`.execute(db);
  const cpuBefore = await cpuSeconds();
  const startedAt = performance.now();
  let next = 0;
  const writeInTurn = async () => {
    for (let from = next; from < claims.length; from = next) {
      next += batchSize;
      const batch = claims.slice(from, from + batchSize);
      const inserted = await insert(batch);
      if (inserted !== batch.length) throw new Error(`${design.name}: ${inserted} of ${batch.length} rows landed`);
    }
  };
  await Promise.all(Array.from({ length: connections }, writeInTurn));
  const seconds = (performance.now() - startedAt) / 1000;
  const cpu = cpuBetween(cpuBefore, await cpuSeconds());
  return { rowsPerSec: Math.round(claims.length / seconds), rowsPerCpuSec: Math.round(claims.length / cpu) };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function benchStore(kind: StoreKind) {
  const serverUrl = kind === 'postgres' ? args.postgres : args.mysql;
  const designs = insertDesigns[kind].filter((d) => !wanted || d.name === reference || wanted.includes(d.name));
  const contestants: Contestant[] = [];
  try {
    for (const [index, design] of designs.entries()) contestants.push(await prepare(kind, serverUrl, design, index));
    const claims: AdmittedClaim[] = Array.from({ length: rows }, (_, i) => ({
      claimId: randomUUID(),
      eventId,
      userId: `u${randomBytes(6).toString('hex')}`,
      seq: i + 1,
      slot: 1,
      admittedAtMs: Date.now(),
    }));
    const measured = new Map<string, Measurement[]>(designs.map((d) => [d.name, []]));
    const ratios = new Map<string, Measurement[]>(designs.map((d) => [d.name, []]));
    for (let round = 0; round < rounds; round++) {
      const inRound = new Map<string, Measurement>();
      for (let i = 0; i < contestants.length; i++) {
        const contestant = contestants[(i + round) % contestants.length]!;
        const measurement = await measure(contestant, claims);
        inRound.set(contestant.design.name, measurement);
        measured.get(contestant.design.name)!.push(measurement);
        const line = { store: kind, round: round + 1, design: contestant.design.name, ...measurement };
        process.stdout.write(`${JSON.stringify(line)}\n`);
      }
      const base = inRound.get(reference)!;
      for (const [name, m] of inRound) {
        ratios
          .get(name)!
          .push({ rowsPerSec: m.rowsPerSec / base.rowsPerSec, rowsPerCpuSec: m.rowsPerCpuSec / base.rowsPerCpuSec });
      }
    }
    process.stdout.write(
      `\n${kind}: ${rows} rows in batches of ${batchSize} on ${connections} connection(s), ${rounds} rounds; medians, and of each round's ratio to ${reference}\n` +
        `  ${'design'.padEnd(28)} ${'rows/s'.padStart(8)} ratio ${'rows/cpu-s'.padStart(10)} ratio\n`,
    );
    for (const design of designs) {
      const of = (list: Measurement[], key: keyof Measurement) => median(list.map((m) => m[key]));
      const [all, ratio] = [measured.get(design.name)!, ratios.get(design.name)!];
      process.stdout.write(
        `  ${design.name.padEnd(28)} ${String(Math.round(of(all, 'rowsPerSec'))).padStart(8)} ${of(ratio, 'rowsPerSec').toFixed(2)}× ` +
          `${String(Math.round(of(all, 'rowsPerCpuSec'))).padStart(10)} ${of(ratio, 'rowsPerCpuSec').toFixed(2)}×  ${design.description}\n`,
      );
    }
    process.stdout.write('\n');
  } finally {
    for (const contestant of contestants) await dispose(serverUrl, contestant);
  }
}

for (const kind of stores) await benchStore(kind);
