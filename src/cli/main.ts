import { resolve } from 'node:path';
import { packageVersion } from '../build-info.ts';
import { type Config, loadConfig } from '../config.ts';
import { isAppError } from '../errors.ts';
import type { Command } from './command.ts';
import { commands } from './command-list.ts';
import { loadDotEnv } from './dot-env.ts';

/** What `firstcome` exits with; the README and src/cli/README.md document them. */
export const exitCodes = {
  ok: 0,
  /** The work failed: a dependency is down, reconcile found drift it did not repair, a wait gave up. */
  failure: 1,
  /** Nothing was done: an unknown command or flag, a missing or bad value, an invalid configuration. */
  usage: 2,
} as const;

const helpFlags = ['--help', '-h'];
const versionFlags = ['--version', '-v'];

export const usage = `Usage: firstcome <command> [flags]

Commands:
${Object.entries(commands)
  .map(([name, { summary }]) => `  ${name.padEnd(11)} ${summary}`)
  .join('\n')}

\`firstcome <command> --help\` prints a command's usage, and changes nothing.
\`firstcome --version\` prints the version.

Settings come from environment variables (see .env.example), and from ./.env when it exists; a variable
set in the environment wins over .env. Logs go to stderr; stdout carries only the answer (--json).
Exit codes: 0 ok · 1 the work failed · 2 usage error or invalid configuration (nothing was done).
`;

const fail = (text: string, code: number) => {
  process.stderr.write(text);
  process.exitCode = code;
};

const lookUp = (name: string) => (Object.hasOwn(commands, name) ? commands[name] : undefined);

export async function main(argv: string[]): Promise<void> {
  const [name, ...args] = argv;
  if (name === undefined || helpFlags.includes(name)) {
    process.stdout.write(usage);
    return;
  }
  if (versionFlags.includes(name)) {
    process.stdout.write(`${packageVersion()}\n`);
    return;
  }
  if (name === 'help') {
    const [topic] = args;
    const entry = topic === undefined ? undefined : lookUp(topic);
    if (topic !== undefined && !entry) {
      return fail(`firstcome help: unknown command "${topic}"\n\n${usage}`, exitCodes.usage);
    }
    process.stdout.write(entry ? (await entry.load()).usage : usage);
    return;
  }
  const entry = lookUp(name);
  if (!entry) return fail(`firstcome: unknown command "${name}"\n\n${usage}`, exitCodes.usage);
  const command = await entry.load();
  // Before the configuration and before any flag is checked: --help never does anything else.
  if (args.some((arg) => helpFlags.includes(arg))) {
    process.stdout.write(command.usage);
    return;
  }
  loadDotEnv(resolve('.env'));
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!isAppError(error, 'CONFIG_INVALID')) throw error;
    return fail(`${error.message}\n`, exitCodes.usage);
  }
  await runCommand(name, command, config, args);
}

async function runCommand(name: string, command: Command, config: Config, args: string[]): Promise<void> {
  try {
    await command.run(config, args);
  } catch (error) {
    if (isAppError(error, 'INVALID_REQUEST')) {
      process.stderr.write(`${error.message}\n\n${command.usage}`);
      process.exit(exitCodes.usage);
    }
    process.stderr.write(
      `firstcome ${name}: ${isAppError(error) ? error.message : String((error as Error)?.stack ?? error)}\n`,
    );
    // A role may hold connections open; exit rather than wait for them.
    process.exit(exitCodes.failure);
  }
}
