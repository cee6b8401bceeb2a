import { loadConfig, type Config } from '../config.ts';
import { isAppError } from '../errors.ts';

const usage = `Usage: firstcome <command>

Commands:
  start       everything in one process for one machine: API, relay, worker, retry job
  serve       the HTTP API alone
  migrate     create or update the database schema, then exit
`;

type Command = (config: Config, args: string[]) => Promise<void>;

const commands: Record<string, Command> = {
  start: async (config) => (await import('../bin/start.ts')).runStart(config),
  serve: async (config) => (await import('../bin/serve.ts')).runServe(config),
  migrate: async (config) => (await import('../bin/migrate.ts')).runMigrate(config),
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
    process.stderr.write(
      `firstcome ${name}: ${isAppError(error) ? error.message : String((error as Error)?.stack ?? error)}\n`,
    );
    process.exit(1);
  }
}
