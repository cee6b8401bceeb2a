import type { EventDefinition, EventId } from '../claim.ts';
import type { Store } from '../store/store.ts';
import { AppError } from '../errors.ts';
import type { Gate, GateFigures } from '../gate/gate.ts';

/** How long a process trusts a definition read before the event's start (its queue may still change). */
const scheduledDefinitionTtlMs = 1000;

/**
 * Event definitions live in PostgreSQL; the gate holds a working copy. The catalog finds an event, and
 * loads it into the gate when Redis does not hold it (a restart without persistence, a failover).
 */
export function createEventCatalog(store: Store, gate: Gate, now: () => number = Date.now) {
  // Definitions never change but for closing, which reaches claims through the gate, and a queue, which may
  // change until shortly before the start (store/operations/update-event-queue.ts): a definition read at or
  // after the start is final and kept; one read before it is read again after a second.
  const known = new Map<EventId, { event: EventDefinition; final: boolean; readAtMs: number }>();
  const keep = (event: EventDefinition) => {
    const readAtMs = now();
    const final = event.closedAt !== null || event.startsAt === null || readAtMs >= event.startsAt.getTime();
    known.set(event.id, { event, final, readAtMs });
  };
  // After Redis lost an event, every claim and every look at it finds it missing: one load per event and
  // process, which they all wait for (and one per deployment: the gate's load lease).
  const loads = new Map<EventId, Promise<void>>();

  async function find(eventId: EventId): Promise<EventDefinition> {
    const cached = known.get(eventId);
    if (cached && (cached.final || now() - cached.readAtMs < scheduledDefinitionTtlMs)) return cached.event;
    const event = await store.findEvent(eventId);
    if (!event) throw new AppError('EVENT_NOT_FOUND', `No event has the id "${eventId}".`);
    keep(event);
    return event;
  }

  /**
   * Loads the event into the gate with the tickets the database holds, read page by page; concurrent
   * callers share one load. The event is read afresh: it may have closed since this process cached it.
   */
  function loadIntoGate(event: EventDefinition): Promise<void> {
    let load = loads.get(event.id);
    if (!load) {
      load = (async () => {
        const fresh = (await store.findEvent(event.id)) ?? event;
        await gate.loadEvent(fresh, (onPage) => store.streamIssuedTickets(event.id, onPage));
      })().finally(() => loads.delete(event.id));
      loads.set(event.id, load);
    }
    return load;
  }

  return {
    find,
    loadIntoGate,
    remember: keep,
    /** The gate's figures, loading the event into the gate first when Redis lost it. */
    async figuresOf(event: EventDefinition): Promise<GateFigures> {
      const figures = await gate.readFigures(event.id);
      if (figures) return figures;
      await loadIntoGate(event);
      const loaded = await gate.readFigures(event.id);
      if (!loaded) throw new AppError('GATE_UNAVAILABLE', `event ${event.id} vanished from Redis while loading`);
      return loaded;
    },
  };
}

export type EventCatalog = ReturnType<typeof createEventCatalog>;
