import { pino, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';
import type { Config } from '../config.ts';

export type LogFormat = 'pretty' | 'json';

/**
 * Pretty lines for a person at a terminal in development; JSON lines, one per entry, for everything
 * else: production (NODE_ENV=production), and any stderr that is a pipe or a file, which a log
 * collector reads.
 */
export const logFormatOf = ({
  isTerminal,
  nodeEnv,
}: {
  isTerminal: boolean;
  nodeEnv: string | undefined;
}): LogFormat => (isTerminal && nodeEnv !== 'production' ? 'pretty' : 'json');

/** Logs go to stderr: stdout carries a command's answer (and --json) only. */
export function createLogger(config: Config, name: string): Logger {
  const format = logFormatOf({ isTerminal: process.stderr.isTTY === true, nodeEnv: config.NODE_ENV });
  const destination =
    format === 'pretty'
      ? PinoPretty({ destination: 2, sync: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' })
      : pino.destination(2);
  return pino({ name, level: config.LOG_LEVEL }, destination);
}
