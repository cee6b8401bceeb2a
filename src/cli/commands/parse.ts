import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { AppError } from '../../errors.ts';

/** A usage mistake: cli.ts prints it with the list of commands and exits 2. */
export const usageError = (command: string, message: string) =>
  new AppError('INVALID_REQUEST', `firstcome ${command}: ${message} (see \`firstcome ${command} --help\`)`);

/** Strict flags plus positionals. */
export function parseCommand<T extends ParseArgsOptionsConfig>(command: string, args: string[], options: T) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (error) {
    throw usageError(command, (error as Error).message);
  }
}

export const wantsHelp = (args: string[]) => args.length === 0 || args.includes('--help') || args.includes('-h');

export const positiveInteger = (command: string, flag: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw usageError(command, `--${flag}: must be a positive integer`);
  return number;
};
