// A contestant as N processes on one port: a node:cluster primary, serving nothing itself, that keeps
// `--workers N` copies of a contestant running, as `firstcome serve --workers N` keeps its API processes.
// Usage: cluster-primary.ts --workers N <contestant.ts> [the contestant's flags...]
import { basename } from 'node:path';
import { superviseWorkers } from '../../runtime/cluster-supervisor.ts';

const [flag, count, entry, ...args] = process.argv.slice(2);
if (flag !== '--workers' || !entry || !Number.isInteger(Number(count)) || Number(count) < 1) {
  process.stderr.write('usage: cluster-primary.ts --workers N <contestant.ts> [flags...]\n');
  process.exit(2);
}
const supervisor = superviseWorkers({
  count: Number(count),
  label: `${basename(entry, '.ts')} process`,
  exec: entry,
  args,
  log: { info: () => undefined, warn: (_details, message) => process.stderr.write(`${message}\n`) },
});
const stop = () => void supervisor.stop().then((isClean) => process.exit(isClean ? 0 : 1));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
await supervisor.ready;
