import type { Logger } from 'pino';
import type { Gate } from '../gate/gate.ts';
import type { Metrics } from '../metrics.ts';
import { startPeriodic } from '../runtime/periodic.ts';
import type { Store } from '../store/store.ts';
import type { EventDrift } from './drift.ts';
import { reconcileEvents } from './reconcile.ts';

export interface DriftWatchDeps {
  store: Store;
  gate: Gate;
  log: Logger;
  metrics: Pick<Metrics, 'reconcileDrift'>;
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

/**
 * Measures drift (never repairs) every `intervalMs`, so that firstcome_reconcile_drift shows where gate
 * and database disagree. 0 turns it off, for deployments with very many events.
 */
export function startDriftWatch({ store, gate, log, metrics }: DriftWatchDeps, intervalMs: number) {
  if (intervalMs === 0) return { stop: async () => undefined };
  return startPeriodic(intervalMs, async () => {
    try {
      const report = await reconcileEvents(
        { store, gate },
        { eventId: undefined, repair: false, graceMs: driftWatchGraceMs },
      );
      metrics.reconcileDrift.reset();
      for (const { found } of report.events) metrics.reconcileDrift.set({ event: found.eventId }, driftSize(found));
      if (report.hasDrift) log.warn('gate and database disagree; see `firstcome reconcile`');
    } catch (error) {
      log.warn({ err: error }, 'drift check failed');
    }
  });
}
