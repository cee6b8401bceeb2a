import { describe, expect, it } from 'vitest';
import type { EventDefinition } from '../claim.ts';
import type { GateTickets, OutboxContents, UserTicket } from '../gate/gate.ts';
import { type DatabaseTickets, hasDrift, measureDrift } from './drift.ts';

const event: EventDefinition = {
  id: 'ev',
  name: 'drop',
  stock: 5,
  perUserLimit: 1,
  startsAt: null,
  endsAt: null,
  closedAt: null,
  createdAt: new Date(0),
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
const noOutbox: OutboxContents = { claimIds: new Set<string>(), lastAdmissionMs: undefined };
const measure = (gate: GateTickets, db: DatabaseTickets, outbox = noOutbox, graceMs = 60_000) =>
  measureDrift({ gate, database: db, outbox, nowMs: 1_000_000, graceMs });

describe('measureDrift', () => {
  it('finds none when the gate holds exactly the coupons', () => {
    const drift = measure(gateHolding(tickets(1, 2, 3)), database(tickets(1, 2, 3)));
    expect(hasDrift(drift)).toBe(false);
    expect(drift).toMatchObject({ gate: { admitted: 3, held: 3, seq: 3 }, database: { coupons: 3, highestTicket: 3 } });
  });

  it('counts a claim in neither table as in flight while it is in the outbox or its event admitted lately, else missing', () => {
    const gate = gateHolding(tickets(1, 2, 3));
    const db = database(tickets(1));
    const drift = measure(gate, db, { claimIds: new Set(['c2']), lastAdmissionMs: 1_000_000 - 59_000 });
    expect(drift.inFlight.map((t) => t.claimId)).toEqual(['c2', 'c3']);
    expect(hasDrift(drift)).toBe(false);

    const quiet = measure(gate, db, { claimIds: new Set(['c2']), lastAdmissionMs: 1_000_000 - 61_000 });
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
});
