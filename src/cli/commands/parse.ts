import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { AppError } from '../../errors.ts';

/**
 * A usage mistake: main.ts prints it with the command's own usage on stderr and exits 2. Node's
 * parseArgs adds advice on `--` to every unknown option; the usage that follows says more.
 */
export const usageError = (command: string, message: string) =>
  new AppError(
    'INVALID_REQUEST',
    `firstcome ${command}: ${message.replace(/\. To specify a positional argument.*$/s, '')}`,
  );

/** Strict flags plus positionals: anything unknown or malformed is a usage error. */
export function parseCommand<T extends ParseArgsOptionsConfig>(command: string, args: string[], options: T) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (error) {
    throw usageError(command, (error as Error).message);
  }
}

/** Strict flags and no positionals. */
export function parseFlags<T extends ParseArgsOptionsConfig>(command: string, args: string[], options: T) {
  const { values, positionals } = parseCommand(command, args, options);
  if (positionals.length > 0) throw usageError(command, `unexpected argument "${positionals[0]}"`);
  return values;
}

export const positiveInteger = (command: string, flag: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw usageError(command, `--${flag}: must be a positive integer`);
  return number;
};
