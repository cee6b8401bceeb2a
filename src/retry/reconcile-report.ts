import type { UserTicket } from '../gate/gate.ts';
import { type EventDrift, hasDrift } from './drift.ts';
import type { EventReconciliation, ReconcileReport } from './reconcile.ts';

const columns = [
  'event',
  'stock',
  'gate admitted',
  'gate held',
  'coupons',
  'retrying',
  'dead',
  'in flight',
  'stuck',
  'missing',
  'not in gate',
  'dead in gate',
  'verdict',
] as const;

const verdictOf = ({ found, repair, after }: EventReconciliation) => {
  if (!hasDrift(found)) return found.counts.inFlight > 0 ? 'ok (in flight)' : 'ok';
  if (!repair) return 'DRIFT';
  return after && hasDrift(after) ? 'DRIFT (repair incomplete)' : 'repaired';
};

const rowOf = (reconciliation: EventReconciliation): string[] => {
  const { found } = reconciliation;
  return [
    found.eventId,
    String(found.stock),
    found.gate ? String(found.gate.admitted) : 'lost',
    found.gate ? String(found.gate.held) : '-',
    String(found.database.coupons),
    String(found.database.retrying),
    String(found.database.dead),
    String(found.counts.inFlight),
    String(found.counts.stuck),
    String(found.counts.missing),
    String(found.counts.unknownToGate),
    String(found.counts.deadHeld),
    verdictOf(reconciliation),
  ];
};

const sample = (tickets: UserTicket[], count: number, max = 5) =>
  tickets
    .slice(0, max)
    .map((t) => t.claimId)
    .join(', ') + (count > max ? `, … (${count} in all)` : '');

const detailsOf = ({ found, repair, after }: EventReconciliation): string[] => {
  if (!hasDrift(found)) return [];
  const lines = [`${found.eventId}: ${found.problems.join('; ')}`];
  if (found.counts.missing > 0) lines.push(`  missing claims: ${sample(found.missing, found.counts.missing)}`);
  if (found.counts.stuck > 0) lines.push(`  stuck claims: ${sample(found.stuck, found.counts.stuck)}`);
  if (repair) {
    const done = [
      repair.relisted && "event put back on the relay's list",
      repair.recounted &&
        `gate recounted from its claims and the database (admitted ${repair.recounted.admitted}, ticket counter ${repair.recounted.seq}, ${repair.recounted.returned} tickets to hand out again)`,
      repair.redriven > 0 &&
        `${repair.redriven} ${repair.redriven === 1 ? 'claim' : 'claims'} re-driven through the outbox`,
    ].filter((line): line is string => typeof line === 'string');
    lines.push(`  repaired: ${done.join('; ') || 'nothing to do'}`);
    if (after && hasDrift(after)) lines.push(`  still: ${after.problems.join('; ')}`);
  } else {
    lines.push('  run with --repair to bring the gate in line');
  }
  return lines;
};

/** A table an operator reads at a glance: one row per event, then a line per event that drifted. */
export function formatReconcileReport(report: ReconcileReport): string {
  if (report.events.length === 0) return 'no events\n';
  const rows = [[...columns], ...report.events.map(rowOf)];
  const widths = columns.map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0)));
  const table = rows.map((row) =>
    row
      .map((cell, i) => (i === 0 || i === row.length - 1 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
  const details = report.events.flatMap(detailsOf);
  const drifted = report.events.filter((r) => hasDrift(r.found)).length;
  const summary = report.hasDrift
    ? `drift in ${report.events.filter((r) => hasDrift(r.after ?? r.found)).length} of ${report.events.length} events`
    : drifted > 0
      ? `drift repaired in ${drifted} of ${report.events.length} events`
      : `no drift in ${report.events.length} events`;
  return [...table, ...(details.length > 0 ? ['', ...details] : []), '', summary, ''].join('\n');
}

const ids = (tickets: UserTicket[]) => tickets.slice(0, 100).map((t) => t.claimId);

const driftJson = (drift: EventDrift) => ({
  eventId: drift.eventId,
  stock: drift.stock,
  gate: drift.gate ?? null,
  database: drift.database,
  inFlight: drift.counts.inFlight,
  stuck: drift.counts.stuck,
  missing: drift.counts.missing,
  notInGate: drift.counts.unknownToGate,
  deadInGate: drift.counts.deadHeld,
  isListed: drift.isListed,
  strandedTickets: drift.strandedTickets,
  doubleBookedTickets: drift.doubleBookedTickets,
  problems: drift.problems,
  /** Up to 100 claim ids per kind, for a closer look. */
  claims: {
    stuck: ids(drift.stuck),
    missing: ids(drift.missing),
    notInGate: ids(drift.unknownToGate),
    deadInGate: ids(drift.deadHeld),
  },
});

export function reconcileReportJson(report: ReconcileReport) {
  return {
    drift: report.hasDrift,
    events: report.events.map(({ found, repair, after }) => ({
      ...driftJson(found),
      repair: repair
        ? { recounted: repair.recounted ?? null, redriven: repair.redriven, relisted: repair.relisted }
        : null,
      after: after ? driftJson(after) : null,
    })),
  };
}
