import type { EventDefinition, EventId, UserId } from '../claim.ts';
import type { FailedClaimState } from '../store/store.ts';
import type { GateTickets, OutboxContents, UserTicket } from '../gate/gate.ts';
import { ClaimIndex, fingerprintOf } from './claim-index.ts';

/** What the database holds for an event besides its tickets (which reach the meter page by page). */
export interface DatabaseFigures {
  coupons: number;
  failed: Array<{ claimId: string; userId: UserId; state: FailedClaimState }>;
}

/** What the database holds for an event, in memory (for tests and small events). */
export interface DatabaseTickets extends DatabaseFigures {
  event: EventDefinition;
  /** Coupons and claims being retried: the tickets the database holds. */
  live: UserTicket[];
}

export interface DriftRules {
  nowMs: number;
  /** How long after an event's last admission its claims may still be on their way to the database, in ms. */
  graceMs: number;
  /** A claim waiting in the outbox this long or longer, in ms, is stuck: no relay takes it. */
  stuckAfterMs: number;
  /** When the event was last put on the relay's list, if known: a claim has waited for a relay since then at most. */
  listedAtMs?: number | undefined;
}

export interface DriftInput extends DriftRules {
  database: DatabaseTickets;
  gate: GateTickets;
  outbox: OutboxContents;
}

/** Gate against database for one event. */
export interface EventDrift {
  eventId: EventId;
  stock: number;
  /** undefined when the gate does not hold the event. */
  gate: { admitted: number; seq: number; held: number; returned: number } | undefined;
  database: { coupons: number; retrying: number; dead: number; highestTicket: number };
  /** How many claims of each kind below; the lists may hold only a sample (see createDriftMeter). */
  counts: { inFlight: number; stuck: number; missing: number; unknownToGate: number; deadHeld: number };
  /** Held by the gate and in neither table yet, but waiting in the outbox or admitted within the grace period. */
  inFlight: UserTicket[];
  /** Held by the gate, in neither table, and waiting in the outbox for stuckAfterMs or more: no relay takes them. */
  stuck: UserTicket[];
  /** Held by the gate, in neither table, out of the outbox, and the event quiet for the grace period. */
  missing: UserTicket[];
  /** Coupons and claims being retried that the gate does not hold: Redis lost data. */
  unknownToGate: UserTicket[];
  /** Dead claims whose ticket the gate still counts. */
  deadHeld: UserTicket[];
  /** Tickets within stock that no claim holds and the gate will not hand out: stock that would be lost. */
  strandedTickets: number;
  /** Tickets in the gate's returned list that a claim holds: they would be handed out twice. */
  doubleBookedTickets: number;
  /** The gate's claims or counters disagree with the database: repair rebuilds them (repair-event). */
  needsRecount: boolean;
  /** On the relay's list when measured. */
  isListed: boolean;
  /** The gate holds the event but it is off the relay's list, or claims are stuck: repair lists it. */
  needsListing: boolean;
  /** One sentence per disagreement; empty when gate and database agree. */
  problems: string[];
}

export const hasDrift = (drift: EventDrift) => drift.problems.length > 0;

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** A list that keeps up to `max` items and counts them all. */
const sampled = (max: number) => {
  const items: UserTicket[] = [];
  let count = 0;
  return {
    items,
    get count() {
      return count;
    },
    add(ticket: UserTicket) {
      count++;
      if (items.length < max) items.push(ticket);
    },
    /** Counts a claim known only by its fingerprint. */
    addUnlisted() {
      count++;
    },
  };
};

/**
 * Compares one event's gate with its database, reading both a page at a time: claims are kept as 8-byte
 * fingerprints by ticket, so a big event never sits in memory as objects. With `keepAll`, every claim of
 * every kind is listed (reconcile repairs from the lists); without it, the counts are whole and each list
 * holds a sample, and the database must be read first: the gate's claims it already holds are dropped as
 * they come.
 */
export function createDriftMeter(event: EventDefinition, { keepAll }: { keepAll: boolean }) {
  const database = new ClaimIndex();
  const gate = new ClaimIndex();
  const databaseTickets: UserTicket[] = [];
  const gateTickets: UserTicket[] = [];
  let highestTicket = 0;

  const isOnlyInGate = (t: UserTicket) => !database.has(t.seq, fingerprintOf(t.claimId));

  return {
    addDatabaseTickets(page: UserTicket[]): void {
      for (const ticket of page) {
        if (!database.add(ticket.seq, fingerprintOf(ticket.claimId))) continue;
        highestTicket = Math.max(highestTicket, ticket.seq);
        if (keepAll) databaseTickets.push(ticket);
      }
    },

    addGateTickets(page: UserTicket[]): void {
      for (const ticket of page) {
        if (!gate.add(ticket.seq, fingerprintOf(ticket.claimId))) continue;
        if (keepAll || isOnlyInGate(ticket)) gateTickets.push(ticket);
      }
    },

    /** Claims the gate holds and the database did not when it was read: worth a second look (they may have landed since). */
    claimsOnlyInGate(): string[] {
      return gateTickets.filter(isOnlyInGate).map((t) => t.claimId);
    },

    /**
     * The drift. `landed` are claims only the gate held when read that the database holds since: neither
     * in flight nor drift.
     */
    finish(
      found: { gate: Omit<GateTickets, 'held'>; database: DatabaseFigures; outbox: OutboxContents },
      rules: DriftRules,
      landed: ReadonlySet<string> = new Set(),
    ): EventDrift {
      const { counters } = found.gate;
      const { outbox } = found;
      const listMax = keepAll ? Infinity : 5;
      const inFlight = sampled(listMax);
      const stuck = sampled(listMax);
      const missing = sampled(listMax);
      const deadHeld = sampled(listMax);
      const unknownToGate = sampled(listMax);
      const stateOf = new Map(found.database.failed.map((f) => [f.claimId, f.state]));
      const isEventQuiet =
        outbox.lastAdmissionMs === undefined || rules.nowMs - outbox.lastAdmissionMs >= rules.graceMs;

      for (const ticket of gateTickets) {
        if (!isOnlyInGate(ticket) || landed.has(ticket.claimId)) continue;
        const state = stateOf.get(ticket.claimId);
        if (state === 'dead') deadHeld.add(ticket);
        else if (state === undefined) {
          const enteredAtMs = outbox.enteredAtMs.get(ticket.claimId);
          if (enteredAtMs !== undefined) {
            const waitedMs = rules.nowMs - Math.max(enteredAtMs, rules.listedAtMs ?? 0);
            (waitedMs >= rules.stuckAfterMs ? stuck : inFlight).add(ticket);
          } else (isEventQuiet ? missing : inFlight).add(ticket);
        }
      }
      if (keepAll) {
        for (const ticket of databaseTickets) {
          if (!gate.has(ticket.seq, fingerprintOf(ticket.claimId))) unknownToGate.add(ticket);
        }
      } else {
        for (const [seq, fingerprint] of database.entries()) {
          if (!gate.has(seq, fingerprint)) unknownToGate.addUnlisted();
        }
      }

      const returned = new Set(found.gate.returned);
      const isHeld = (seq: number) => gate.hasTicket(seq) || database.hasTicket(seq);
      let strandedTickets = 0;
      if (counters) {
        for (let seq = 1; seq <= Math.min(counters.seq, event.stock); seq++) {
          if (!isHeld(seq) && !returned.has(seq)) strandedTickets++;
        }
      }
      const doubleBookedTickets = [...returned].filter(isHeld).length;

      const recountReasons = [
        !counters && (database.size > 0 || gate.size > 0) && 'the gate lost the event',
        counters &&
          counters.admitted !== gate.size &&
          `the gate counts ${counters.admitted} admitted but holds ${gate.size} claims`,
        counters &&
          counters.seq < highestTicket &&
          `the gate's ticket counter ${counters.seq} is below the database's highest ticket ${highestTicket}`,
        strandedTickets > 0 &&
          `${plural(strandedTickets, 'free ticket', 'free tickets')} the gate would never hand out`,
        doubleBookedTickets > 0 &&
          `${plural(doubleBookedTickets, 'ticket', 'tickets')} both held and waiting to be handed out again`,
        unknownToGate.count > 0 &&
          `${plural(unknownToGate.count, 'claim', 'claims')} in the database the gate does not hold`,
        deadHeld.count > 0 &&
          `${plural(deadHeld.count, 'dead claim', 'dead claims')} still holding a ticket in the gate`,
      ].filter((reason): reason is string => typeof reason === 'string');
      const isUnlisted = counters !== undefined && !outbox.isListed;
      const problems = [
        ...recountReasons,
        missing.count > 0 &&
          `${plural(missing.count, 'admitted claim', 'admitted claims')} in neither coupons nor failed_claims`,
        isUnlisted && "the event is not on the relay's list: its outbox is never drained",
        stuck.count > 0 &&
          `${plural(stuck.count, 'claim', 'claims')} waiting in the outbox for ${rules.stuckAfterMs / 1000} s or more` +
            (isUnlisted ? '' : ': is a relay running?'),
      ].filter((problem): problem is string => typeof problem === 'string');

      const failedIn = (state: FailedClaimState) => found.database.failed.filter((f) => f.state === state).length;
      return {
        eventId: event.id,
        stock: event.stock,
        gate: counters && {
          admitted: counters.admitted,
          seq: counters.seq,
          held: gate.size,
          returned: found.gate.returned.length,
        },
        database: {
          coupons: found.database.coupons,
          retrying: failedIn('retrying'),
          dead: failedIn('dead'),
          highestTicket,
        },
        counts: {
          inFlight: inFlight.count,
          stuck: stuck.count,
          missing: missing.count,
          unknownToGate: unknownToGate.count,
          deadHeld: deadHeld.count,
        },
        inFlight: inFlight.items,
        stuck: stuck.items,
        missing: missing.items,
        unknownToGate: unknownToGate.items,
        deadHeld: deadHeld.items,
        strandedTickets,
        doubleBookedTickets,
        needsRecount: recountReasons.length > 0,
        isListed: outbox.isListed,
        needsListing: isUnlisted || stuck.count > 0,
        problems,
      };
    },
  };
}

export type DriftMeter = ReturnType<typeof createDriftMeter>;

/** Compares one event's gate with its database, both in memory; pure, so every rule is testable without I/O. */
export function measureDrift({ database, gate, outbox, ...rules }: DriftInput): EventDrift {
  const meter = createDriftMeter(database.event, { keepAll: true });
  meter.addGateTickets(gate.held);
  meter.addDatabaseTickets(database.live);
  return meter.finish({ gate, database, outbox }, rules);
}
