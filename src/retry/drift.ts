import type { EventDefinition, EventId, UserId } from '../claim.ts';
import type { FailedClaimState } from '../store/store.ts';
import type { GateTickets, OutboxContents, UserTicket } from '../gate/gate.ts';

/** What the database holds for an event, read in one snapshot. */
export interface DatabaseTickets {
  event: EventDefinition;
  /** Coupons and claims being retried: the tickets the database holds. */
  live: UserTicket[];
  coupons: number;
  failed: Array<{ claimId: string; userId: UserId; state: FailedClaimState }>;
}

export interface DriftInput {
  database: DatabaseTickets;
  gate: GateTickets;
  outbox: OutboxContents;
  nowMs: number;
  /** How long after an event's last admission its claims may still be on their way to the database, in ms. */
  graceMs: number;
}

/** Gate against database for one event. */
export interface EventDrift {
  eventId: EventId;
  stock: number;
  /** undefined when the gate does not hold the event. */
  gate: { admitted: number; seq: number; held: number; returned: number } | undefined;
  database: { coupons: number; retrying: number; dead: number; highestTicket: number };
  /** Held by the gate and in neither table yet, but still in the outbox or admitted within the grace period. */
  inFlight: UserTicket[];
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
  /** One sentence per disagreement; empty when gate and database agree. */
  problems: string[];
}

export const hasDrift = (drift: EventDrift) => drift.problems.length > 0;

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** Compares one event's gate with its database; pure, so every rule is testable without I/O. */
export function measureDrift({ database, gate, outbox, nowMs, graceMs }: DriftInput): EventDrift {
  const { event } = database;
  const stateOf = new Map(database.failed.map((f) => [f.claimId, f.state]));
  const liveIds = new Set(database.live.map((t) => t.claimId));
  const heldIds = new Set(gate.held.map((t) => t.claimId));
  const isEventQuiet = outbox.lastAdmissionMs === undefined || nowMs - outbox.lastAdmissionMs >= graceMs;

  const inFlight: UserTicket[] = [];
  const missing: UserTicket[] = [];
  const deadHeld: UserTicket[] = [];
  for (const ticket of gate.held) {
    if (liveIds.has(ticket.claimId)) continue;
    const state = stateOf.get(ticket.claimId);
    if (state === 'dead') deadHeld.push(ticket);
    else if (state === undefined) {
      (outbox.claimIds.has(ticket.claimId) || !isEventQuiet ? inFlight : missing).push(ticket);
    }
  }
  const unknownToGate = database.live.filter((t) => !heldIds.has(t.claimId));

  const heldTickets = new Set([...gate.held, ...database.live].map((t) => t.seq));
  const returned = new Set(gate.returned);
  const highestTicket = database.live.reduce((highest, t) => Math.max(highest, t.seq), 0);
  let strandedTickets = 0;
  if (gate.counters) {
    for (let seq = 1; seq <= Math.min(gate.counters.seq, event.stock); seq++) {
      if (!heldTickets.has(seq) && !returned.has(seq)) strandedTickets++;
    }
  }
  const doubleBookedTickets = [...returned].filter((seq) => heldTickets.has(seq)).length;

  const counters = gate.counters;
  const recountReasons = [
    !counters && (database.live.length > 0 || gate.held.length > 0) && 'the gate lost the event',
    counters &&
      counters.admitted !== gate.held.length &&
      `the gate counts ${counters.admitted} admitted but holds ${gate.held.length} claims`,
    counters &&
      counters.seq < highestTicket &&
      `the gate's ticket counter ${counters.seq} is below the database's highest ticket ${highestTicket}`,
    strandedTickets > 0 && `${plural(strandedTickets, 'free ticket', 'free tickets')} the gate would never hand out`,
    doubleBookedTickets > 0 &&
      `${plural(doubleBookedTickets, 'ticket', 'tickets')} both held and waiting to be handed out again`,
    unknownToGate.length > 0 &&
      `${plural(unknownToGate.length, 'claim', 'claims')} in the database the gate does not hold`,
    deadHeld.length > 0 && `${plural(deadHeld.length, 'dead claim', 'dead claims')} still holding a ticket in the gate`,
  ].filter((reason): reason is string => typeof reason === 'string');
  const problems = [...recountReasons];
  if (missing.length > 0) {
    problems.push(
      `${plural(missing.length, 'admitted claim', 'admitted claims')} in neither coupons nor failed_claims`,
    );
  }

  return {
    eventId: event.id,
    stock: event.stock,
    gate: counters && {
      admitted: counters.admitted,
      seq: counters.seq,
      held: gate.held.length,
      returned: gate.returned.length,
    },
    database: {
      coupons: database.coupons,
      retrying: database.failed.filter((f) => f.state === 'retrying').length,
      dead: database.failed.filter((f) => f.state === 'dead').length,
      highestTicket,
    },
    inFlight,
    missing,
    unknownToGate,
    deadHeld,
    strandedTickets,
    doubleBookedTickets,
    needsRecount: recountReasons.length > 0,
    problems,
  };
}
