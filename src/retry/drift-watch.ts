import type { Logger } from 'pino';
import type { EventDefinition, EventId } from '../claim.ts';
import type { Gate } from '../gate/gate.ts';
import type { Metrics } from '../metrics.ts';
import { startPeriodic } from '../runtime/periodic.ts';
import type { Store } from '../store/store.ts';
import { type EventDrift, hasDrift } from './drift.ts';
import { defaultStuckAfterMs, measureEventDrift } from './reconcile.ts';

export interface DriftWatchDeps {
  store: Store;
  gate: Gate;
  log: Logger;
  metrics: Pick<Metrics, 'reconcileDrift'>;
}

/** What one pass of the watch did, for whoever listens (tests, logs). */
export interface DriftWatchPass {
  /** This process held the watch's lease: another process's watch does the work otherwise. */
  isWatching: boolean;
  /** Events whose drift was measured (and labelled on the gauge). */
  measured: EventId[];
  /** Events closed in the database whose end the gate had missed: ended in the gate now. */
  ended: EventId[];
  /** Events put back on the relay's list. */
  listed: EventId[];
}

export interface DriftWatchOptions {
  /** The lease that makes one watch per deployment. @defaultValue 'drift-watch' */
  leaseName?: string;
  /** Hears every pass. */
  onPass?: (pass: DriftWatchPass) => void;
}

/** Claims and tickets on which gate and database disagree. */
export const driftSize = (drift: EventDrift) =>
  drift.counts.missing +
  drift.counts.stuck +
  drift.counts.unknownToGate +
  drift.counts.deadHeld +
  drift.strandedTickets +
  drift.doubleBookedTickets;

// Claims younger than this may still be on their way through the relay, Kafka and the worker.
const driftWatchGraceMs = 60_000;

const endOf = (event: EventDefinition): number | undefined => {
  const ends = [event.endsAt, event.closedAt].filter((d): d is Date => d !== null).map((d) => d.getTime());
  return ends.length > 0 ? Math.min(...ends) : undefined;
};

/**
 * Measures drift every `intervalMs`, so that firstcome_reconcile_drift shows where gate and database
 * disagree, in one process of the deployment (a lease in Redis; the others stand by and label nothing).
 * It watches the events that may drift: those not ended, those ended within the grace period or whose
 * outbox still holds claims, and those that drifted at its last pass; each is read page by page. It
 * repairs only what is safe to repeat: an event closed in the database whose end the gate missed is
 * ended in the gate, and an event off the relay's list is put back. 0 turns it off.
 */
export function startDriftWatch(
  { store, gate, log, metrics }: DriftWatchDeps,
  intervalMs: number,
  { leaseName = 'drift-watch', onPass }: DriftWatchOptions = {},
) {
  if (intervalMs === 0) return { stop: async () => undefined };
  // Long enough that the holder renews it across a slow pass; a holder that dies passes it on after it.
  const lease = gate.createLease(leaseName, Math.max(3 * intervalMs, 30_000));
  let isWatching = false;
  let drifting = new Set<EventId>();

  /** Re-applies a close the gate missed: the close route ends the gate after the database. */
  async function endIfMissed(event: EventDefinition): Promise<boolean> {
    if (event.closedAt === null) return false;
    const figures = await gate.readFigures(event.id);
    const closedAtMs = event.closedAt.getTime();
    if (!figures || (figures.endsAtMs > 0 && figures.endsAtMs <= closedAtMs)) return false;
    await gate.endEvent(event.id, closedAtMs);
    await gate.publishChange({ kind: 'ended', eventId: event.id });
    log.warn({ eventId: event.id }, 'drift watch: the gate had missed the close of the event; ended it');
    return true;
  }

  async function isWatched(event: EventDefinition, nowMs: number): Promise<boolean> {
    const endsAtMs = endOf(event);
    if (endsAtMs === undefined || endsAtMs > nowMs - driftWatchGraceMs || drifting.has(event.id)) return true;
    return (await gate.readOutboxFigures(event.id)).length > 0;
  }

  async function watchOnce(): Promise<DriftWatchPass> {
    const pass: DriftWatchPass = { isWatching: await lease.tryHold(), measured: [], ended: [], listed: [] };
    if (!pass.isWatching) {
      if (isWatching) metrics.reconcileDrift.reset();
      isWatching = false;
      return pass;
    }
    isWatching = true;
    const sizes = new Map<EventId, number>();
    const drifted = new Set<EventId>();
    for (const event of await store.listEvents()) {
      try {
        if (await endIfMissed(event)) pass.ended.push(event.id);
        const nowMs = Date.now();
        if (!(await isWatched(event, nowMs))) continue;
        const rules = { nowMs, graceMs: driftWatchGraceMs, stuckAfterMs: defaultStuckAfterMs };
        const drift = await measureEventDrift({ store, gate }, event, rules);
        if (drift.needsListing && !drift.isListed) {
          await gate.listEvent(event);
          pass.listed.push(event.id);
        }
        sizes.set(event.id, driftSize(drift));
        if (hasDrift(drift)) drifted.add(event.id);
        pass.measured.push(event.id);
        // A slow pass over many events keeps the lease.
        await lease.tryHold();
      } catch (error) {
        log.warn({ err: error, eventId: event.id }, 'drift check of an event failed');
      }
    }
    metrics.reconcileDrift.reset();
    for (const [eventId, size] of sizes) metrics.reconcileDrift.set({ event: eventId }, size);
    drifting = drifted;
    if (drifted.size > 0) log.warn('gate and database disagree; see `firstcome reconcile`');
    return pass;
  }

  const periodic = startPeriodic(intervalMs, async () => {
    try {
      const pass = await watchOnce();
      onPass?.(pass);
    } catch (error) {
      log.warn({ err: error }, 'drift check failed');
    }
  });
  return {
    async stop() {
      await periodic.stop();
      if (isWatching) await lease.release().catch(() => undefined);
    },
  };
}
