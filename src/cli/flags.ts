import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { AppError } from '../errors.ts';

/** Parses a command's flags strictly; anything unknown or malformed is a usage error (exit 2). */
export function parseFlags<T extends ParseArgsOptionsConfig>(command: string, args: string[], options: T) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new AppError('INVALID_REQUEST', `firstcome ${command}: ${(error as Error).message}`);
  }
}
