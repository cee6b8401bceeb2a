import { describe, expect, it } from 'vitest';
import type { EventDefinition } from '../claim.ts';
import type { GateTickets, OutboxContents, UserTicket } from '../gate/gate.ts';
import { createDriftMeter, type DatabaseTickets, type EventDrift, hasDrift, measureDrift } from './drift.ts';

const event: EventDefinition = {
  id: 'ev',
  name: 'drop',
  stock: 5,
  perUserLimit: 1,
  shards: 1,
  startsAt: null,
  endsAt: null,
  closedAt: null,
  createdAt: new Date(0),
  queue: null,
};
const ticket = (seq: number): UserTicket => ({ claimId: `c${seq}`, userId: `u${seq}`, slot: 1, seq });
const tickets = (...seqs: number[]) => seqs.map(ticket);

const gateHolding = (held: UserTicket[], { seq = held.length, returned = [] as number[] } = {}): GateTickets => ({
  counters: { stock: event.stock, admitted: held.length, seq },
  held,
  returned,
});
const database = (live: UserTicket[], failed: DatabaseTickets['failed'] = []): DatabaseTickets => ({
  event,
  live,
  coupons: live.length,
  failed,
});
const noOutbox: OutboxContents = { enteredAtMs: new Map(), lastAdmissionMs: undefined, isListed: true };
const waiting = (entries: Array<[string, number]>, lastAdmissionMs: number, isListed = true): OutboxContents => ({
  enteredAtMs: new Map(entries),
  lastAdmissionMs,
  isListed,
});
const measure = (gate: GateTickets, db: DatabaseTickets, outbox = noOutbox, graceMs = 60_000) =>
  measureDrift({ gate, database: db, outbox, nowMs: 1_000_000, graceMs, stuckAfterMs: 120_000 });

describe('measureDrift', () => {
  it('finds none when the gate holds exactly the coupons', () => {
    const drift = measure(gateHolding(tickets(1, 2, 3)), database(tickets(1, 2, 3)));
    expect(hasDrift(drift)).toBe(false);
    expect(drift).toMatchObject({ gate: { admitted: 3, held: 3, seq: 3 }, database: { coupons: 3, highestTicket: 3 } });
  });

  it('counts a claim in neither table as in flight while it is in the outbox or its event admitted lately, else missing', () => {
    const gate = gateHolding(tickets(1, 2, 3));
    const db = database(tickets(1));
    const drift = measure(gate, db, waiting([['c2', 1_000_000 - 59_000]], 1_000_000 - 59_000));
    expect(drift.inFlight.map((t) => t.claimId)).toEqual(['c2', 'c3']);
    expect(hasDrift(drift)).toBe(false);

    const quiet = measure(gate, db, waiting([['c2', 1_000_000 - 61_000]], 1_000_000 - 61_000));
    expect(quiet.inFlight.map((t) => t.claimId)).toEqual(['c2']);
    expect(quiet.missing.map((t) => t.claimId)).toEqual(['c3']);
    expect(quiet.needsRecount).toBe(false);
    expect(quiet.problems).toEqual(['1 admitted claim in neither coupons nor failed_claims']);
  });

  it('calls a lost event drift only when the database holds tickets of it', () => {
    const lost: GateTickets = { counters: undefined, held: [], returned: [] };
    expect(hasDrift(measure(lost, database([])))).toBe(false);
    const drift = measure(lost, database(tickets(1, 2)));
    expect(drift.needsRecount).toBe(true);
    expect(drift.problems).toEqual(['the gate lost the event', '2 claims in the database the gate does not hold']);
  });

  it('finds counters below the database, dead claims the gate holds, and tickets stranded or booked twice', () => {
    const gate = gateHolding(tickets(1, 2, 4), { seq: 4, returned: [2] });
    const db = database(tickets(1, 2, 5), [{ claimId: 'c4', userId: 'u4', state: 'dead' }]);
    const drift = measure(gate, db);
    expect(drift.deadHeld.map((t) => t.claimId)).toEqual(['c4']);
    expect(drift.unknownToGate.map((t) => t.claimId)).toEqual(['c5']);
    expect(drift.strandedTickets).toBe(1);
    expect(drift.doubleBookedTickets).toBe(1);
    expect(drift.problems).toEqual([
      "the gate's ticket counter 4 is below the database's highest ticket 5",
      '1 free ticket the gate would never hand out',
      '1 ticket both held and waiting to be handed out again',
      '1 claim in the database the gate does not hold',
      '1 dead claim still holding a ticket in the gate',
    ]);
  });

  it('finds an admitted counter that disagrees with the claims the gate holds', () => {
    const gate: GateTickets = { counters: { stock: 5, admitted: 4, seq: 3 }, held: tickets(1, 2, 3), returned: [] };
    expect(measure(gate, database(tickets(1, 2, 3))).problems).toEqual([
      'the gate counts 4 admitted but holds 3 claims',
    ]);
  });

  it('calls a claim stuck once it waited in the outbox past the threshold, counted from a listing when there was one', () => {
    const gate = gateHolding(tickets(1, 2));
    const db = database(tickets(1));
    const old = waiting([['c2', 1_000_000 - 121_000]], 1_000_000 - 121_000, false);
    const drift = measure(gate, db, old);
    expect(drift.stuck.map((t) => t.claimId)).toEqual(['c2']);
    expect(drift).toMatchObject({ needsListing: true, needsRecount: false, isListed: false });
    expect(drift.problems).toEqual([
      "the event is not on the relay's list: its outbox is never drained",
      '1 claim waiting in the outbox for 120 s or more',
    ]);
    const listed = measure(gate, db, { ...old, isListed: true });
    expect(listed.problems).toEqual(['1 claim waiting in the outbox for 120 s or more: is a relay running?']);

    const relisted = measureDrift({
      gate,
      database: db,
      outbox: { ...old, isListed: true },
      nowMs: 1_000_000,
      graceMs: 60_000,
      stuckAfterMs: 120_000,
      listedAtMs: 1_000_000 - 1_000,
    });
    expect(relisted.inFlight.map((t) => t.claimId)).toEqual(['c2']);
    expect(hasDrift(relisted)).toBe(false);
  });

  it('counts the same drift from fingerprints, database first, as from every claim in memory', () => {
    // Ticket 4 held twice in the gate (c4, c8), c6 dead, c5 and c7 unknown to the gate.
    const gate = gateHolding([...tickets(1, 2, 4, 6), { claimId: 'c8', userId: 'u8', slot: 1, seq: 4 }], {
      seq: 7,
      returned: [2, 3],
    });
    const db = database(tickets(1, 2, 5, 7), [{ claimId: 'c6', userId: 'u6', state: 'dead' }]);
    const full = measure(gate, db);
    expect(full.counts).toEqual({ inFlight: 0, stuck: 0, missing: 2, unknownToGate: 2, deadHeld: 1 });

    const meter = createDriftMeter(event, { keepAll: false });
    meter.addDatabaseTickets(db.live.slice(0, 2));
    meter.addDatabaseTickets(db.live.slice(2));
    meter.addGateTickets(gate.held.slice(0, 3));
    meter.addGateTickets(gate.held); // HSCAN may hand a user out twice
    expect(meter.claimsOnlyInGate().sort()).toEqual(['c4', 'c6', 'c8']);
    // c4 turned out to have landed in the database after it was read.
    const rules = { nowMs: 1_000_000, graceMs: 60_000, stuckAfterMs: 120_000 };
    const compact = meter.finish({ gate, database: db, outbox: noOutbox }, rules, new Set(['c4']));
    expect(compact.counts).toEqual({ ...full.counts, missing: 1 });
    expect(compact.missing.map((t) => t.claimId)).toEqual(['c8']);
    expect(compact.deadHeld.map((t) => t.claimId)).toEqual(['c6']);
    expect(compact.unknownToGate).toEqual([]);
    const sameAs = (drift: EventDrift) => ({
      gate: drift.gate,
      database: drift.database,
      strandedTickets: drift.strandedTickets,
      doubleBookedTickets: drift.doubleBookedTickets,
      needsRecount: drift.needsRecount,
      problems: drift.problems.filter((p) => !p.includes('in neither coupons nor failed_claims')),
    });
    expect(sameAs(compact)).toEqual(sameAs(full));
    expect(full.strandedTickets).toBe(0);
    expect(full.doubleBookedTickets).toBe(1);
  });
});
