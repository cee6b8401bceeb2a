import { type Config, maxApiWorkers } from '../../config.ts';
import type { Command } from '../command.ts';
import { parseFlags, usageError } from './parse.ts';

const usage = `Usage: firstcome serve [--workers N]

Runs the HTTP API alone; \`firstcome relay\` and \`firstcome worker\` move and store what it admits.
Migrates the database on start.

  --workers N   API processes answering on the one port, 1 to ${maxApiWorkers} (default: API_WORKERS, else
                one per CPU). A supervising process, which serves nothing itself, starts them, starts
                again any that dies, and lets /metrics on any of them answer for all of them.
`;

/** `serve [--workers N]`; undefined when the flag is not given. */
export function parseServeArgs(args: string[]): { workers: number | undefined } {
  const flags = parseFlags('serve', args, { workers: { type: 'string' } });
  if (flags.workers === undefined) return { workers: undefined };
  const workers = Number(flags.workers);
  if (!/^\d+$/.test(flags.workers) || workers < 1 || workers > maxApiWorkers) {
    throw usageError('serve', `--workers must be a whole number from 1 to ${maxApiWorkers}, got "${flags.workers}"`);
  }
  return { workers };
}

export const serve: Command = {
  usage,
  async run(config: Config, args: string[]) {
    const { workers } = parseServeArgs(args);
    const { runServe } = await import('../../roles/serve.ts');
    await runServe({ ...config, API_WORKERS: workers ?? config.API_WORKERS });
  },
};
