import { EVENT_ID_PATTERN } from '../claim.ts';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import { createGate } from '../gate/gate.ts';
import type { EventDrift } from '../retry/drift.ts';
import { reconcileEvents, type ReconcileOptions } from '../retry/reconcile.ts';
import { formatReconcileReport, reconcileReportJson } from '../retry/reconcile-report.ts';
import { parseFlags } from '../cli/flags.ts';
import { startPeriodic } from '../runtime/periodic.ts';
import { closeRuntime, createLogger, openRuntime, type Runtime } from './runtime.ts';

const usageError = (message: string) => new AppError('INVALID_REQUEST', `firstcome reconcile: ${message}`);

/** `reconcile [--event ID] [--repair] [--json] [--grace-seconds N]` */
export function parseReconcileArgs(args: string[]): ReconcileOptions & { isJson: boolean } {
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

/** Prints the drift per event; the exit code is 1 while drift remains, 0 when there is none (or it was repaired). */
export async function runReconcile(config: Config, args: string[]): Promise<void> {
  const options = parseReconcileArgs(args);
  const runtime = await openRuntime(config, createLogger(config, 'firstcome-reconcile'));
  try {
    const report = await reconcileEvents(
      { db: runtime.db, gate: createGate(runtime.redis), redis: runtime.redis },
      options,
    );
    process.stdout.write(
      options.isJson ? `${JSON.stringify(reconcileReportJson(report), null, 2)}\n` : formatReconcileReport(report),
    );
    process.exitCode = report.hasDrift ? 1 : 0;
  } finally {
    await closeRuntime(runtime);
  }
}

/**
 * Inside `worker` and `start`: measures drift (never repairs) every RECONCILE_INTERVAL_MS, so that
 * firstcome_reconcile_drift shows where gate and database disagree. 0 turns it off, for
 * deployments with very many events, where each pass reads every event's claims from Redis.
 */
export function startDriftWatch(runtime: Runtime): { stop(): Promise<void> } {
  const { config, log, metrics } = runtime;
  if (config.RECONCILE_INTERVAL_MS === 0) return { stop: async () => undefined };
  const deps = { db: runtime.db, gate: createGate(runtime.redis), redis: runtime.redis };
  return startPeriodic(config.RECONCILE_INTERVAL_MS, async () => {
    try {
      const report = await reconcileEvents(deps, { eventId: undefined, repair: false, graceMs: driftWatchGraceMs });
      metrics.reconcileDrift.reset();
      for (const { found } of report.events) metrics.reconcileDrift.set({ event: found.eventId }, driftSize(found));
      if (report.hasDrift) log.warn('gate and database disagree; see `firstcome reconcile`');
    } catch (error) {
      log.warn({ err: error }, 'drift check failed');
    }
  });
}

/** Claims and tickets on which gate and database disagree. */
export const driftSize = (drift: EventDrift) =>
  drift.missing.length +
  drift.unknownToGate.length +
  drift.deadHeld.length +
  drift.strandedTickets +
  drift.doubleBookedTickets;

// Claims younger than this may still be on their way through the relay, Kafka and the worker.
const driftWatchGraceMs = 60_000;
