import type { Logger } from 'pino';
import type { EventDefinition, EventId } from '../claim.ts';
import type { Store } from '../store/store.ts';
import { type EventWithQueue, type Gate, queuedEventOf } from '../gate/gate.ts';
import { startPeriodic } from '../runtime/periodic.ts';

export interface QueueSchedulerDeps {
  store: Pick<Store, 'listQueuedEvents' | 'revealQueueSeed'>;
  gate: Pick<Gate, 'createLease' | 'queue' | 'readFigures'>;
  log: Logger;
}

export interface QueueSchedulerOptions {
  /** The lease that makes one scheduler per deployment. @defaultValue 'queue-scheduler' */
  leaseName?: string;
  /** A holder that stops renewing passes the lease on after this long, in ms. @defaultValue 3000 */
  leaseMs?: number;
  /** Between two moves of the windows, in ms. @defaultValue 100 */
  tickMs?: number;
  /** Between two readings of the queued events from the store, in ms. @defaultValue 2000 */
  refreshMs?: number;
}

const leaseRenewalMs = 1000;

/**
 * The queue's scheduler (queue-design): runs in every API process, works in the one that holds its lease
 * (renewed each second; a holder that dies passes it on within `leaseMs`). Every `tickMs`, for each
 * queued event that has started, not ended and not sold out: opens its queue once (the seed is logged and
 * kept in the store for audit), then moves its window on (advance-queue.lua: by Redis's clock, so two
 * schedulers that overlap for a moment never double the pace).
 */
export function startQueueScheduler(
  { store, gate, log }: QueueSchedulerDeps,
  { leaseName = 'queue-scheduler', leaseMs = 3000, tickMs = 100, refreshMs = 2000 }: QueueSchedulerOptions = {},
) {
  const lease = gate.createLease(leaseName, leaseMs);
  let isHolding = false;
  let renewedAtMs = -Infinity;
  let events: EventDefinition[] = [];
  let readAtMs = -Infinity;
  // The events whose opening this process saw through, seed kept: opened again (which changes nothing) after a restart.
  const opened = new Set<EventId>();

  async function holdLease(nowMs: number): Promise<boolean> {
    if (nowMs - renewedAtMs < leaseRenewalMs) return isHolding;
    renewedAtMs = nowMs;
    const wasHolding = isHolding;
    try {
      isHolding = await lease.tryHold();
    } catch (error) {
      // Unrenewed, the lease lapses: another process may hold it by now.
      isHolding = false;
      throw error;
    }
    if (isHolding !== wasHolding) {
      log.info(
        { holder: lease.holder },
        isHolding ? 'queue scheduler: holding the lease' : 'queue scheduler: lease lost',
      );
    }
    return isHolding;
  }

  async function refreshEvents(nowMs: number): Promise<void> {
    if (nowMs - readAtMs < refreshMs) return;
    events = await store.listQueuedEvents(new Date(nowMs));
    readAtMs = nowMs;
    // Before the opening the queue follows its event's times (a PATCH), so joining finds them in place.
    for (const event of events) {
      if (event.queue && event.startsAt && nowMs < event.startsAt.getTime()) {
        await gate.queue.setUp(queuedEventOf({ ...event, queue: event.queue }));
      }
    }
  }

  async function step(event: EventWithQueue, nowMs: number) {
    const queued = queuedEventOf(event);
    if (nowMs < queued.startsAtMs || (queued.endsAtMs > 0 && nowMs >= queued.endsAtMs)) return;
    const figures = await gate.readFigures(event.id);
    if (figures && (figures.admitted >= figures.stock || (figures.endsAtMs > 0 && nowMs >= figures.endsAtMs))) return;
    if (!opened.has(event.id)) {
      const opening = await gate.queue.open(queued);
      if (opening.isFirst) {
        log.info({ eventId: event.id, seed: opening.seed, prequeued: opening.prequeued }, 'queue opened');
      }
      // Kept by whichever process sees the opening through: the one that opened may have died before it could.
      await store.revealQueueSeed(event.id, opening.seed);
      opened.add(event.id);
    }
    await gate.queue.advance(queued, event.queue);
  }

  async function tick(): Promise<void> {
    const nowMs = Date.now();
    if (!(await holdLease(nowMs))) return;
    await refreshEvents(nowMs);
    for (const event of events) {
      if (!event.queue) continue;
      try {
        await step({ ...event, queue: event.queue }, nowMs);
      } catch (error) {
        log.warn({ err: error, eventId: event.id }, 'queue scheduler: an event could not move on');
      }
    }
  }

  let lastError = '';
  const periodic = startPeriodic(tickMs, async () => {
    try {
      await tick();
      lastError = '';
    } catch (error) {
      // Ten ticks a second: a dependency that is down is said once, not ten times a second.
      const message = error instanceof Error ? error.message : String(error);
      if (message !== lastError) log.warn({ err: error }, 'queue scheduler trouble');
      lastError = message;
    }
  });
  return {
    /** Whether this process moves the windows now (it holds the lease). */
    isHolding: () => isHolding,
    async stop() {
      await periodic.stop();
      if (isHolding) await lease.release().catch(() => undefined);
      isHolding = false;
    },
  };
}

export type QueueScheduler = ReturnType<typeof startQueueScheduler>;
