import { type ClaimOutcome, claimOutcomes, type EventId } from '../claim.ts';

/** How this API process answered an event's claims, one count per outcome of `claimOutcomes`. */
export type OutcomeCounts = Record<ClaimOutcome, number>;

export const zeroCounts = (): OutcomeCounts =>
  Object.fromEntries(claimOutcomes.map((outcome) => [outcome, 0])) as OutcomeCounts;

/** Several processes' counts as one. */
export function sumCounts(counts: OutcomeCounts[]): OutcomeCounts {
  const sum = zeroCounts();
  for (const one of counts) for (const outcome of claimOutcomes) sum[outcome] += one[outcome];
  return sum;
}

/** An event's answers and when they were counted (a reading shared by several readers may be a little old). */
export interface AnsweredReading {
  counts: OutcomeCounts;
  atMs: number;
}

/**
 * Running totals of claim answers per event, in this process's memory: counting costs a map look-up and
 * an increment, so the claim path keeps its single Redis round trip. The dashboard turns two readings a
 * second apart into rates. Only events the gate gave a verdict on get an entry, so the map stays as small
 * as the set of live events, whatever event ids unauthenticated or malformed requests name.
 */
export function createClaimTally() {
  const counts = new Map<EventId, OutcomeCounts>();
  return {
    /** Counts an answer about an event known to exist; returns the new total for this event and outcome. */
    count(eventId: EventId, outcome: ClaimOutcome): number {
      let event = counts.get(eventId);
      if (!event) {
        event = zeroCounts();
        counts.set(eventId, event);
      }
      return ++event[outcome];
    },
    /** Counts an answer only for an event counted before: a request refused early may name no real event. */
    countIfTallied(eventId: EventId, outcome: ClaimOutcome): void {
      const event = counts.get(eventId);
      if (event) event[outcome]++;
    },
    read(eventId: EventId): OutcomeCounts {
      return { ...(counts.get(eventId) ?? zeroCounts()) };
    },
  };
}

export type ClaimTally = ReturnType<typeof createClaimTally>;

/**
 * Every API process's tally of an event summed, as their primary keeps it (`serve --workers N`): a
 * process that does not answer counts with what it said last, and one that exited keeps what it had
 * counted, so a sum never goes down when a process goes.
 */
export function createTallySums() {
  const latest = new Map<number, Map<EventId, OutcomeCounts>>();
  const retired = new Map<EventId, OutcomeCounts>();
  return {
    /** The event's sum, given this round's answers (`counts` undefined: that process did not answer). */
    sum(eventId: EventId, answers: Array<{ process: number; counts: OutcomeCounts | undefined }>): OutcomeCounts {
      for (const { process, counts } of answers) {
        if (!counts) continue;
        const events = latest.get(process) ?? new Map<EventId, OutcomeCounts>();
        latest.set(process, events.set(eventId, counts));
      }
      const live = [...latest.values()].flatMap((events) => events.get(eventId) ?? []);
      return sumCounts([...live, retired.get(eventId) ?? zeroCounts()]);
    },
    retire(process: number): void {
      for (const [eventId, counts] of latest.get(process) ?? []) {
        retired.set(eventId, sumCounts([retired.get(eventId) ?? zeroCounts(), counts]));
      }
      latest.delete(process);
    },
  };
}
