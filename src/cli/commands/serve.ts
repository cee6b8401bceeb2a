import { type Config, maxApiWorkers } from '../../config.ts';
import { AppError } from '../../errors.ts';
import { runServe } from '../../roles/serve.ts';
import { parseFlags } from '../flags.ts';

export const serveUsage = `Usage: firstcome serve [--workers N]

Runs the HTTP API alone; \`firstcome relay\` and \`firstcome worker\` move and store what it admits.

  --workers N   API processes answering on the one port, 1 to ${maxApiWorkers} (default: API_WORKERS, else
                one per CPU). A supervising process, which serves nothing itself, starts them, starts
                again any that dies, and lets /metrics on any of them answer for all of them.
`;

/** `serve [--workers N] [--help]`; `workers` is undefined when the flag is not given. */
export function parseServeArgs(args: string[]): { isHelp: boolean; workers: number | undefined } {
  const flags = parseFlags('serve', args, { workers: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (flags.workers === undefined) return { isHelp: flags.help ?? false, workers: undefined };
  const workers = Number(flags.workers);
  if (!/^\d+$/.test(flags.workers) || workers < 1 || workers > maxApiWorkers) {
    throw new AppError(
      'INVALID_REQUEST',
      `firstcome serve: --workers must be a whole number from 1 to ${maxApiWorkers}, got "${flags.workers}"`,
    );
  }
  return { isHelp: flags.help ?? false, workers };
}

export async function runServeCommand(config: Config, args: string[]): Promise<void> {
  const { isHelp, workers } = parseServeArgs(args);
  if (isHelp) {
    process.stdout.write(serveUsage);
    return;
  }
  await runServe({ ...config, API_WORKERS: workers ?? config.API_WORKERS });
}
