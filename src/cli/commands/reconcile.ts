import { EVENT_ID_PATTERN } from '../../claim.ts';
import type { Command } from '../command.ts';
import { parseFlags, usageError } from './parse.ts';

const usage = `Usage: firstcome reconcile [--event ID] [--repair] [--json] [--grace-seconds N]

Compares what the gate admitted with what the database issued, per event, and prints the drift.
Uses the database and the gate's Redis; does not migrate.

  --event ID          this event only (default: every event)
  --repair            bring the gate back in line with the database
  --json              print the report as JSON
  --grace-seconds N   claims admitted in the last N seconds may still be on their way (default 60)

Exit code 0: no drift (or repaired); 1: drift remains.
`;

/** `reconcile [--event ID] [--repair] [--json] [--grace-seconds N]` */
export function parseReconcileArgs(args: string[]) {
  const flags = parseFlags('reconcile', args, {
    event: { type: 'string' },
    repair: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'grace-seconds': { type: 'string', default: '60' },
  });
  if (flags.event !== undefined && !new RegExp(EVENT_ID_PATTERN).test(flags.event)) {
    throw usageError('reconcile', `--event must match ${EVENT_ID_PATTERN}, got "${flags.event}"`);
  }
  const graceSeconds = Number(flags['grace-seconds']);
  if (!/^\d+$/.test(flags['grace-seconds']) || !Number.isSafeInteger(graceSeconds)) {
    throw usageError('reconcile', `--grace-seconds must be a whole number of seconds, got "${flags['grace-seconds']}"`);
  }
  return { eventId: flags.event, repair: flags.repair, isJson: flags.json, graceMs: graceSeconds * 1000 };
}

export const reconcile: Command = {
  usage,
  async run(config, args) {
    const options = parseReconcileArgs(args);
    await (await import('../../roles/reconcile.ts')).runReconcile(config, options);
  },
};
