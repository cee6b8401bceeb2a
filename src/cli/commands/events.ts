import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../../config.ts';
import { type AdminClient, type AdminEventView, createAdminClient, OperatorError } from './admin-client.ts';
import type { Command } from '../command.ts';
import { parseCommand, positiveInteger, usageError } from './parse.ts';
import { createProgressBar } from './progress-bar.ts';
import { reportOperatorErrors } from './report-errors.ts';
import { formatRecord, formatTable } from './table.ts';

const usage = `Usage: firstcome events <list|show|create|close> [flags]

  events list [--json]
  events show ID [--wait] [--json]
  events create --name NAME --stock N [--per-user-limit N] [--shards N|auto] [--id ID] [--starts-at ISO] [--ends-at ISO] [--json]
  events close ID [--wait] [--json]

  --wait   after showing or closing, wait (with a progress bar) until every admitted claim is a coupon
           in the database; gives up after --timeout-seconds (default 300) with exit code 1

Talks to the admin API at FIRSTCOME_URL (default http://HOST:PORT) with ADMIN_TOKEN.
`;

export interface Output {
  out: (text: string) => void;
  err: NodeJS.WriteStream | { isTTY?: boolean; columns?: number; write(text: string): unknown };
}

const stdio: Output = { out: (text) => process.stdout.write(text), err: process.stderr };

const eventColumns = [
  { header: 'ID', value: (e: AdminEventView) => e.id },
  { header: 'NAME', value: (e: AdminEventView) => e.name, maxWidth: 30 },
  { header: 'STATE', value: (e: AdminEventView) => e.state },
  { header: 'STOCK', value: (e: AdminEventView) => e.stock },
  { header: 'ADMITTED', value: (e: AdminEventView) => e.admitted },
  { header: 'ISSUED', value: (e: AdminEventView) => e.issued },
  { header: 'PENDING', value: (e: AdminEventView) => e.pending },
  { header: 'FAILED', value: (e: AdminEventView) => e.failed },
  { header: 'REMAINING', value: (e: AdminEventView) => e.remaining },
];

const describeEvent = (e: AdminEventView) =>
  formatRecord([
    ['id', e.id],
    ['name', e.name],
    ['state', e.state],
    ['stock', e.stock],
    ['per user', e.perUserLimit],
    ['shards', e.shards],
    ['starts', e.startsAt ?? 'at once'],
    ['ends', e.endsAt ?? 'no end set'],
    ['closed', e.closedAt],
    ['admitted', e.admitted],
    ['remaining', e.remaining],
    ['issued', `${e.issued} (coupons in the database)`],
    ['pending', `${e.pending} (admitted, not yet issued)`],
    ['failed', `${e.failed} (waiting for the retry job, or dead)`],
  ]);

/** Polls the event until the database holds every admitted claim; returns the last view. */
async function waitUntilLanded(
  api: AdminClient,
  id: string,
  timeoutSeconds: number,
  output: Output,
): Promise<AdminEventView> {
  const bar = createProgressBar(`issuing ${id}`, output.err);
  const deadline = Date.now() + timeoutSeconds * 1000;
  try {
    for (;;) {
      const event = await api.showEvent(id);
      bar.update(event.issued, event.admitted, event.failed > 0 ? `(${event.failed} failed)` : '');
      if (event.pending === 0) return event;
      if (Date.now() > deadline) {
        throw new OperatorError(
          `${event.pending} admitted claims of ${id} are not coupons after ${timeoutSeconds} s ` +
            `(${event.failed} failed); are the relay and the worker running? see \`firstcome failed list --event ${id}\``,
        );
      }
      await sleep(500);
    }
  } finally {
    bar.finish();
  }
}

const actions = ['list', 'show', 'create', 'close'] as const;

/** `firstcome events ...`: the operator's view of events, through the admin API. */
export const events: Command = {
  usage,
  actions,
  run: (config, args) => reportOperatorErrors('events', () => runEvents(config, args, stdio)),
};

async function runEvents(config: Config, args: string[], output: Output): Promise<void> {
  const { values, positionals } = parseCommand('events', args, {
    json: { type: 'boolean', default: false },
    wait: { type: 'boolean', default: false },
    'timeout-seconds': { type: 'string' },
    name: { type: 'string' },
    stock: { type: 'string' },
    'per-user-limit': { type: 'string' },
    shards: { type: 'string' },
    id: { type: 'string' },
    'starts-at': { type: 'string' },
    'ends-at': { type: 'string' },
  });
  const [action, id, ...extra] = positionals;
  if (extra.length > 0) throw usageError('events', `unexpected arguments: ${extra.join(' ')}`);
  const api = createAdminClient(config.FIRSTCOME_URL ?? `http://${config.HOST}:${config.PORT}`, config.ADMIN_TOKEN);
  const print = (event: AdminEventView) =>
    output.out(values.json ? `${JSON.stringify(event)}\n` : describeEvent(event));
  const needId = () => {
    if (!id) throw usageError('events', `${action}: which event? give its id`);
    return id;
  };
  const timeoutSeconds = positiveInteger('events', 'timeout-seconds', values['timeout-seconds']) ?? 300;

  switch (action) {
    case 'list': {
      const events = await api.listEvents();
      output.out(
        values.json ? `${JSON.stringify(events)}\n` : events.length ? formatTable(events, eventColumns) : 'no events\n',
      );
      return;
    }
    case 'show':
    case 'close': {
      const event = action === 'close' ? await api.closeEvent(needId()) : await api.showEvent(needId());
      print(values.wait ? await waitUntilLanded(api, event.id, timeoutSeconds, output) : event);
      return;
    }
    case 'create': {
      if (id) throw usageError('events', 'create: give the id as --id');
      const stock = positiveInteger('events', 'stock', values.stock);
      if (!values.name || stock === undefined) throw usageError('events', 'create: --name and --stock are required');
      const perUserLimit = positiveInteger('events', 'per-user-limit', values['per-user-limit']);
      const shards = values.shards === 'auto' ? 'auto' : positiveInteger('events', 'shards', values.shards);
      print(
        await api.createEvent({
          name: values.name,
          stock,
          ...(perUserLimit === undefined ? {} : { perUserLimit }),
          ...(shards === undefined ? {} : { shards }),
          ...(values.id === undefined ? {} : { id: values.id }),
          ...(values['starts-at'] === undefined ? {} : { startsAt: values['starts-at'] }),
          ...(values['ends-at'] === undefined ? {} : { endsAt: values['ends-at'] }),
        }),
      );
      return;
    }
    default:
      throw usageError('events', action ? `unknown action "${action}"` : 'which action?');
  }
}
