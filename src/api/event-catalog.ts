import type { EventDefinition, EventId } from '../claim.ts';
import type { Store } from '../store/store.ts';
import { AppError } from '../errors.ts';
import type { Gate, GateFigures } from '../gate/gate.ts';

/**
 * Event definitions live in PostgreSQL; the gate holds a working copy. The catalog finds an event, and
 * loads it into the gate when Redis does not hold it (a restart without persistence, a failover).
 */
export function createEventCatalog(store: Store, gate: Gate) {
  // Definitions never change but for closing, which reaches claims through the gate, so a process may keep them.
  const known = new Map<EventId, EventDefinition>();

  async function find(eventId: EventId): Promise<EventDefinition> {
    const cached = known.get(eventId);
    if (cached) return cached;
    const event = await store.findEvent(eventId);
    if (!event) throw new AppError('EVENT_NOT_FOUND', `No event has the id "${eventId}".`);
    known.set(eventId, event);
    return event;
  }

  /** Reads the event afresh (it may have closed since this process cached it) with the tickets it holds. */
  async function loadIntoGate(event: EventDefinition): Promise<void> {
    const [fresh, issued] = await Promise.all([store.findEvent(event.id), store.loadIssuedTickets(event.id)]);
    await gate.loadEvent(fresh ?? event, issued);
  }

  return {
    find,
    loadIntoGate,
    remember(event: EventDefinition): void {
      known.set(event.id, event);
    },
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
