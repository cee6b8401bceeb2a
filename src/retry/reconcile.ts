import type { EventDefinition, EventId } from '../claim.ts';
import type { Store } from '../store/store.ts';
import { AppError } from '../errors.ts';
import type { Gate, RepairedFigures } from '../gate/gate.ts';
import { createDriftMeter, type DriftRules, type EventDrift, hasDrift } from './drift.ts';

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
  /** A claim waiting in an outbox this long or longer is stuck (no relay reads it), in ms. @defaultValue 60_000 */
  stuckAfterMs?: number | undefined;
}

export const defaultStuckAfterMs = 60_000;

export interface EventReconciliation {
  found: EventDrift;
  /** What --repair did; undefined when there was nothing to repair or no --repair. */
  repair: { recounted: RepairedFigures | undefined; redriven: number; relisted: boolean } | undefined;
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
  const rules = () => ({
    nowMs: Date.now(),
    graceMs: options.graceMs,
    stuckAfterMs: options.stuckAfterMs ?? defaultStuckAfterMs,
  });
  const reconciled: EventReconciliation[] = [];
  for (const event of events) {
    const found = await measureEvent(deps, event, rules());
    if (!options.repair || !hasDrift(found)) {
      reconciled.push({ found, repair: undefined, after: undefined });
      continue;
    }
    const listedAtMs = Date.now();
    const repair = await repairEvent(deps, event, found);
    // Claims that waited for a relay because the event was off the list have waited since the listing only.
    const after = await measureEvent(deps, event, { ...rules(), listedAtMs: repair.relisted ? listedAtMs : undefined });
    reconciled.push({ found, repair, after });
  }
  return { events: reconciled, hasDrift: reconciled.some((r) => hasDrift(r.after ?? r.found)) };
}

async function findOne(store: Store, eventId: EventId): Promise<EventDefinition> {
  const event = await store.findEvent(eventId);
  if (!event) throw new AppError('EVENT_NOT_FOUND', `No event has the id "${eventId}".`);
  return event;
}

/**
 * Every claim of every kind, for a repair. The gate is read before the database: a claim landing in
 * between is then seen in both, never in neither.
 */
async function measureEvent(deps: ReconcileDeps, event: EventDefinition, rules: DriftRules): Promise<EventDrift> {
  const meter = createDriftMeter(event, { keepAll: true });
  const gate = await deps.gate.scanTickets(event.id, (page) => meter.addGateTickets(page));
  const outbox = await deps.gate.readOutbox(event.id);
  const database = await deps.store.readEventTickets(event.id, async (page) => {
    meter.addDatabaseTickets(page);
    return true;
  });
  return meter.finish({ gate, database, outbox }, rules);
}

/**
 * The counts only (the drift watch), holding 8 bytes a ticket rather than every claim: the database is
 * read first, then the gate, whose claims the database did not hold are looked up once more, as they
 * may have landed in between.
 */
export async function measureEventDrift(
  deps: ReconcileDeps,
  event: EventDefinition,
  rules: DriftRules,
): Promise<EventDrift> {
  const meter = createDriftMeter(event, { keepAll: false });
  const database = await deps.store.readEventTickets(event.id, async (page) => {
    meter.addDatabaseTickets(page);
    return true;
  });
  const gate = await deps.gate.scanTickets(event.id, (page) => meter.addGateTickets(page));
  const outbox = await deps.gate.readOutbox(event.id);
  const onlyInGate = meter.claimsOnlyInGate();
  const states = onlyInGate.length > 0 ? await deps.store.findClaimStates(onlyInGate) : new Map<string, string>();
  const landed = new Set([...states].filter(([, state]) => state !== 'dead').map(([claimId]) => claimId));
  return meter.finish({ gate, database, outbox }, rules, landed);
}

async function repairEvent(
  deps: ReconcileDeps,
  event: EventDefinition,
  drift: EventDrift,
): Promise<NonNullable<EventReconciliation['repair']>> {
  // Listed first (a recount lists it too): claims the recount or a re-drive puts in the outbox are read.
  if (drift.needsListing) await deps.gate.listEvent(event);
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
  return { recounted, redriven, relisted: !drift.isListed && (drift.needsListing || recounted !== undefined) };
}
