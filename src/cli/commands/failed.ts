import {
  type FailedClaimRow,
  type FailedClaimState,
  listFailedClaims,
  retryFailedClaims,
} from '../../roles/failed-claims.ts';
import type { Config } from '../../config.ts';
import { createLogger } from '../../roles/logger.ts';
import type { Output } from './events.ts';
import type { Command } from '../command.ts';
import { parseCommand, positiveInteger, usageError } from './parse.ts';
import { createProgressBar } from './progress-bar.ts';
import { formatRecord, formatTable } from './table.ts';

const usage = `Usage: firstcome failed <list|retry> [flags]

  failed list [--event ID] [--state retrying,dead,issued|all] [--limit N] [--json]
      claims the worker could not issue; by default those not issued yet (retrying and dead), newest first,
      at most 50
  failed retry [--event ID] [--claim ID]... [--json]
      makes the selected waiting claims due now and runs one pass of the retry job (a progress bar shows
      it); dead claims are never retried (their ticket went back to the gate when no other claim holds it)

Reads and writes the database at DATABASE_URL (and the gate at REDIS_URL for retry), like \`firstcome retry\`.
`;

const stdio: Output = { out: (text) => process.stdout.write(text), err: process.stderr };
const states: FailedClaimState[] = ['retrying', 'dead', 'issued'];

function parseStates(value: string | undefined): FailedClaimState[] {
  if (value === undefined) return ['retrying', 'dead'];
  if (value === 'all') return states;
  const picked = value.split(',').map((s) => s.trim());
  const unknown = picked.filter((s) => !states.includes(s as FailedClaimState));
  if (unknown.length > 0) throw usageError('failed', `--state: unknown state ${unknown.join(', ')}`);
  return picked as FailedClaimState[];
}

const dueIn = (at: Date, nowMs: number) => {
  const seconds = Math.round((at.getTime() - nowMs) / 1000);
  return seconds <= 0 ? 'due' : seconds < 120 ? `in ${seconds}s` : `in ${Math.round(seconds / 60)}m`;
};

const claimColumns = (nowMs: number) => [
  { header: 'CLAIM', value: (c: FailedClaimRow) => c.claimId },
  { header: 'EVENT', value: (c: FailedClaimRow) => c.eventId },
  { header: 'USER', value: (c: FailedClaimRow) => c.userId, maxWidth: 24 },
  { header: 'STATE', value: (c: FailedClaimRow) => c.state },
  { header: 'ATTEMPTS', value: (c: FailedClaimRow) => c.attempts },
  { header: 'NEXT', value: (c: FailedClaimRow) => (c.state === 'retrying' ? dueIn(c.nextAttemptAt, nowMs) : '-') },
  { header: 'REASON', value: (c: FailedClaimRow) => c.error, maxWidth: 60 },
];

/** `firstcome failed ...`: failed claims, straight from the database, like the retry job that owns them. */
export const failed: Command = {
  usage,
  actions: ['list', 'retry'],
  run: (config, args) => runFailed(config, args, stdio),
};

async function runFailed(config: Config, args: string[], output: Output): Promise<void> {
  const { values, positionals } = parseCommand('failed', args, {
    event: { type: 'string' },
    state: { type: 'string' },
    limit: { type: 'string' },
    claim: { type: 'string', multiple: true },
    json: { type: 'boolean', default: false },
  });
  const [action, ...extra] = positionals;
  if (extra.length > 0) throw usageError('failed', `unexpected arguments: ${extra.join(' ')}`);
  switch (action) {
    case 'list':
      return listCommand(config, values, output);
    case 'retry':
      return retryCommand(config, values, output);
    default:
      throw usageError('failed', action ? `unknown action "${action}"` : 'which action?');
  }
}

async function listCommand(
  config: Config,
  values: {
    event?: string | undefined;
    state?: string | undefined;
    limit?: string | undefined;
    json?: boolean | undefined;
  },
  output: Output,
): Promise<void> {
  const limit = positiveInteger('failed', 'limit', values.limit) ?? 50;
  const claims = await listFailedClaims(config, { eventId: values.event, states: parseStates(values.state), limit });
  if (values.json) {
    output.out(`${JSON.stringify(claims)}\n`);
  } else if (claims.length === 0) {
    output.out('no failed claims\n');
  } else {
    output.out(formatTable(claims, claimColumns(Date.now())));
    if (claims.length === limit) output.out(`(the first ${limit}; --limit shows more)\n`);
  }
}

async function retryCommand(
  config: Config,
  values: { event?: string | undefined; claim?: string[] | undefined; json?: boolean | undefined },
  output: Output,
): Promise<void> {
  const selection = { eventId: values.event, claimIds: values.claim };
  const log = createLogger(config, 'firstcome-failed');
  const bar = createProgressBar('retrying', output.err);
  try {
    const { selected, ...summary } = await retryFailedClaims(config, log, selection, (attempted, total) =>
      bar.update(attempted, total),
    );
    bar.update(selected, selected);
    bar.finish();
    if (values.json) {
      output.out(`${JSON.stringify({ selected, ...summary })}\n`);
    } else {
      output.out(
        formatRecord([
          ['made due', `${selected} waiting claims`],
          ['issued', summary.issued],
          ['retrying', `${summary.retrying} (refused again; the retry job tries later)`],
          ['dead', `${summary.dead} (can never be issued)`],
          ['tickets returned', `${summary.ticketsReturned} (dead claims' tickets back in the gate)`],
          ['tickets kept', summary.ticketsKept],
        ]),
      );
    }
  } finally {
    bar.finish();
  }
}
