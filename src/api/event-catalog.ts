import type { EventDefinition, EventId } from '../claim.ts';
import type { Database } from '../store/database.ts';
import { loadIssuedTickets } from '../store/coupons.ts';
import { findEvent } from '../store/events.ts';
import { AppError } from '../errors.ts';
import type { Gate, GateFigures } from '../gate/gate.ts';

const dbUnavailable = (what: string, error: unknown) =>
  new AppError('DB_UNAVAILABLE', `PostgreSQL did not answer ${what}: ${String((error as Error)?.message ?? error)}`, {
    cause: error,
    retryable: true,
  });

/**
 * Event definitions live in PostgreSQL; the gate holds a working copy. The catalog finds an event, and
 * loads it into the gate when Redis does not hold it (a restart without persistence, a failover).
 */
export function createEventCatalog(db: Database, gate: Gate) {
  // Definitions never change but for closing, which reaches claims through the gate, so a process may keep them.
  const known = new Map<EventId, EventDefinition>();

  async function find(eventId: EventId): Promise<EventDefinition> {
    const cached = known.get(eventId);
    if (cached) return cached;
    const event = await findEvent(db, eventId).catch((error: unknown) => {
      throw dbUnavailable(`the look-up of event ${eventId}`, error);
    });
    if (!event) throw new AppError('EVENT_NOT_FOUND', `No event has the id "${eventId}".`);
    known.set(eventId, event);
    return event;
  }

  /** Reads the event afresh (it may have closed since this process cached it) with the tickets it holds. */
  async function loadIntoGate(event: EventDefinition): Promise<void> {
    const [fresh, issued] = await Promise.all([findEvent(db, event.id), loadIssuedTickets(db, event.id)]).catch(
      (error: unknown) => {
        throw dbUnavailable(`the tickets of event ${event.id}`, error);
      },
    );
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
