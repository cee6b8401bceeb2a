import { loadConfig, type Config } from '../config.ts';
import { isAppError } from '../errors.ts';
import { parseFlags } from './flags.ts';

const usage = `Usage: firstcome <command>

Commands:
  start       everything in one process for one machine: API, relay, worker, retry job
  serve       the HTTP API alone [--workers N (default: API_WORKERS, else one per CPU)]
  relay       moves admitted claims from the gate's outbox streams to Kafka
  worker      writes claims from Kafka to the database as coupons, in batches
  migrate     create or update the database schema, then exit
  retry       one pass of the failed-claim retry job, then exit
  reconcile   compare the gate with the database per event and print the drift
              [--event ID] [--repair] [--json] [--grace-seconds N (default 60)]
              exit code 0: no drift (or repaired), 1: drift remains
  bench       the spike benchmark: firstcome against the designs people use today (bench --help)
  plan        the processes and nodes a drop needs: --peak-claims-per-sec R --stock S (plan --help)
  events      operator commands through the admin API: list, show, create, close (events --help)
  failed      failed claims in the database: list, retry (failed --help)
`;

type Command = (config: Config, args: string[]) => Promise<void>;

const commands: Record<string, Command> = {
  start: async (config) => (await import('../roles/start.ts')).runStart(config),
  serve: async (config, args) => (await import('./commands/serve.ts')).runServeCommand(config, args),
  relay: async (config) => (await import('../roles/relay.ts')).runRelay(config),
  worker: async (config) => (await import('../roles/worker.ts')).runWorker(config),
  migrate: async (config) => (await import('../roles/migrate.ts')).runMigrate(config),
  retry: async (config, args) => {
    parseFlags('retry', args, {});
    await (await import('../roles/retry.ts')).runRetry(config);
  },
  reconcile: async (config, args) => (await import('./commands/reconcile.ts')).runReconcileCommand(config, args),
  bench: async (config, args) => (await import('../bench/bench.ts')).runBench(config, args),
  plan: async (_config, args) => (await import('./commands/plan.ts')).runPlanCommand(args),
  events: async (config, args) => (await import('./commands/events.ts')).runEvents(config, args),
  failed: async (config, args) => (await import('./commands/failed.ts')).runFailed(config, args),
};

export async function main(argv: string[]): Promise<void> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage);
    return;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`firstcome: unknown command "${name}"\n\n${usage}`);
    process.exitCode = 2;
    return;
  }
  try {
    await command(loadConfig(), args);
  } catch (error) {
    if (isAppError(error, 'CONFIG_INVALID')) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    // A command's bad flags (see flags.ts).
    if (isAppError(error, 'INVALID_REQUEST')) {
      process.stderr.write(`${error.message}\n\n${usage}`);
      process.exit(2);
    }
    process.stderr.write(
      `firstcome ${name}: ${isAppError(error) ? error.message : String((error as Error)?.stack ?? error)}\n`,
    );
    process.exit(1);
  }
}
