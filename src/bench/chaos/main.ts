import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { reaper } from './reaper.ts';
import { formatReport } from './report.ts';
import { runChaos } from './run.ts';

const usage = `Usage: npm run chaos -- [--seconds N] [--seed N] [--claims N] [--postgres URL] [--drain-seconds N] [--keep-logs] [--live-tree]

A chaos run: a drop of --claims claims (3 per user, perUserLimit 2, stock 60% of the claims) against
2 serve, 2 relay and 2 worker processes on a Redis (AOF), Kafka broker and PostgreSQL database of its own,
while seeded faults (SIGKILL and restart, SIGSTOP/SIGCONT, PostgreSQL cut through a proxy, Redis
SHUTDOWN and restart, Kafka restart) hit them; then every promise is checked in the database.

  --seconds N        how long the load and the faults last (default 60)
  --seed N           the fault schedule's seed (default: random, printed); a seed repeats its schedule
  --claims N         logical claims (default 20000)
  --postgres URL     the PostgreSQL server to make the run's database on (default postgres://postgres@127.0.0.1:5432/)
  --drain-seconds N  the longest wait for the pipeline to drain after the load (default 180)
  --keep-logs        keep every process's log even when all promises held (kept anyway when one broke)
  --live-tree        run the processes from the working tree, not from a copy of bin/ and src/ taken at
                     the start (a copy keeps restarted processes on the same code while others edit)

Exit code: 0 every promise held, 1 a promise broke (printed), 2 bad flags, 3 the run itself failed, 130 interrupted.
`;

function wholeNumber(flag: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    process.stderr.write(`--${flag} must be a whole number from ${min} to ${max}, got "${value}"\n\n${usage}`);
    process.exit(2);
  }
  return n;
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        seconds: { type: 'string' },
        seed: { type: 'string' },
        claims: { type: 'string' },
        postgres: { type: 'string' },
        'drain-seconds': { type: 'string' },
        'keep-logs': { type: 'boolean' },
        'live-tree': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    process.exit(2);
  }
})();
if (values.help) {
  process.stdout.write(usage);
  process.exit(0);
}

const seed = wholeNumber('seed', values.seed, randomInt(0, 2 ** 31), 0, 2 ** 32 - 1);
const stop = new AbortController();
process.on('SIGINT', () => {
  if (stop.signal.aborted) {
    reaper.killAllNow();
    process.exit(130);
  }
  console.log('\nSIGINT: stopping the faults and the load, then cleaning up (again to kill everything now)');
  stop.abort();
});
process.on('SIGTERM', () => stop.abort());
// Last resort: nothing this run started outlives it.
process.on('exit', () => reaper.killAllNow());

console.log(`chaos seed ${seed} (repeat this schedule with --seed ${seed})`);
try {
  const result = await runChaos({
    seed,
    seconds: wholeNumber('seconds', values.seconds, 60, 5, 3600),
    claims: wholeNumber('claims', values.claims, 20_000, 10, 1_000_000),
    drainTimeoutMs: wholeNumber('drain-seconds', values['drain-seconds'], 180, 5, 3600) * 1000,
    keepLogs: values['keep-logs'] === true,
    liveTree: values['live-tree'] === true,
    ...(values.postgres ? { postgresServer: values.postgres } : {}),
    signal: stop.signal,
  });
  console.log(formatReport(result));
  process.exitCode = result.aborted ? 130 : result.broken.length > 0 ? 1 : 0;
} catch (error) {
  console.error(
    `chaos run failed (seed ${seed}): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  process.exitCode = 3;
}
