import type { EventDefinition, EventId } from '../claim.ts';
import type { Store } from '../store/store.ts';
import { AppError } from '../errors.ts';
import type { Gate, RepairedFigures, UserTicket } from '../gate/gate.ts';
import { type DatabaseTickets, type EventDrift, hasDrift, measureDrift } from './drift.ts';

export interface ReconcileDeps {
  store: Store;
  gate: Gate;
}

export interface ReconcileOptions {
  /** One event, or every event when undefined. */
  eventId: EventId | undefined;
  repair: boolean;
  /**
   * How long after an event's last admission its claims may still be on their way through the relay,
   * Kafka and the worker, in ms; re-driving one of those would only cost a duplicate the worker ignores.
   */
  graceMs: number;
}

export interface EventReconciliation {
  found: EventDrift;
  /** What --repair did; undefined when there was nothing to repair or no --repair. */
  repair: { recounted: RepairedFigures | undefined; redriven: number } | undefined;
  /** The drift measured again after the repair. */
  after: EventDrift | undefined;
}

export interface ReconcileReport {
  events: EventReconciliation[];
  /** Drift remains (after the repair, with --repair). */
  hasDrift: boolean;
}

/** Compares gate and database per event and, with `repair`, brings the gate in line (CONTRACT promise 6). */
export async function reconcileEvents(deps: ReconcileDeps, options: ReconcileOptions): Promise<ReconcileReport> {
  const events =
    options.eventId === undefined ? await deps.store.listEvents() : [await findOne(deps.store, options.eventId)];
  const reconciled: EventReconciliation[] = [];
  for (const event of events) {
    const found = await measure(deps, event, options.graceMs);
    if (!options.repair || !hasDrift(found)) {
      reconciled.push({ found, repair: undefined, after: undefined });
      continue;
    }
    const repair = await repairEvent(deps, event, found);
    reconciled.push({ found, repair, after: await measure(deps, event, options.graceMs) });
  }
  return { events: reconciled, hasDrift: reconciled.some((r) => hasDrift(r.after ?? r.found)) };
}

async function findOne(store: Store, eventId: EventId): Promise<EventDefinition> {
  const event = await store.findEvent(eventId);
  if (!event) throw new AppError('EVENT_NOT_FOUND', `No event has the id "${eventId}".`);
  return event;
}

// The gate is read before the database: a claim landing in between is then seen in both, never in neither.
async function measure(deps: ReconcileDeps, event: EventDefinition, graceMs: number): Promise<EventDrift> {
  const gate = await deps.gate.readTickets(event.id);
  const outbox = await deps.gate.readOutbox(event.id);
  const database = await readDatabaseTickets(deps.store, event);
  return measureDrift({ database, gate, outbox, nowMs: Date.now(), graceMs });
}

async function readDatabaseTickets(store: Store, event: EventDefinition): Promise<DatabaseTickets> {
  const { issued, coupons, failed } = await store.readEventTickets(event.id);
  // A claim being retried whose coupon landed meanwhile shows in both tables until the next pass.
  const live = new Map<string, UserTicket>();
  for (const [userId, claims] of issued.claimsByUser) {
    for (const claim of claims) live.set(claim.claimId, { ...claim, userId });
  }
  return { event, live: [...live.values()], coupons, failed };
}

async function repairEvent(
  deps: ReconcileDeps,
  event: EventDefinition,
  drift: EventDrift,
): Promise<NonNullable<EventReconciliation['repair']>> {
  const recounted = drift.needsRecount
    ? await deps.gate.repairEvent(event, { hold: drift.unknownToGate, drop: drift.deadHeld })
    : undefined;
  let redriven = 0;
  for (const { userId, claimId } of drift.missing) {
    if (await deps.gate.redriveClaim({ eventId: event.id, userId, claimId })) redriven++;
  }
  // API processes that remembered the event sold out must ask the gate again.
  if (recounted && recounted.admitted < event.stock) {
    await deps.gate.publishChange({ kind: 'restocked', eventId: event.id });
  }
  return { recounted, redriven };
}
