import { EVENT_ID_PATTERN } from '../../claim.ts';
import type { Config } from '../../config.ts';
import { AppError } from '../../errors.ts';
import { runReconcile } from '../../roles/reconcile.ts';
import { parseFlags } from '../flags.ts';

const usageError = (message: string) => new AppError('INVALID_REQUEST', `firstcome reconcile: ${message}`);

/** `reconcile [--event ID] [--repair] [--json] [--grace-seconds N]` */
export function parseReconcileArgs(args: string[]) {
  const flags = parseFlags('reconcile', args, {
    event: { type: 'string' },
    repair: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'grace-seconds': { type: 'string', default: '60' },
  });
  if (flags.event !== undefined && !new RegExp(EVENT_ID_PATTERN).test(flags.event)) {
    throw usageError(`--event must match ${EVENT_ID_PATTERN}, got "${flags.event}"`);
  }
  const graceSeconds = Number(flags['grace-seconds']);
  if (!/^\d+$/.test(flags['grace-seconds']) || !Number.isSafeInteger(graceSeconds)) {
    throw usageError(`--grace-seconds must be a whole number of seconds, got "${flags['grace-seconds']}"`);
  }
  return { eventId: flags.event, repair: flags.repair, isJson: flags.json, graceMs: graceSeconds * 1000 };
}

export const runReconcileCommand = (config: Config, args: string[]) => runReconcile(config, parseReconcileArgs(args));
