import { type ClaimOutcome, claimOutcomes, type EventId } from '../claim.ts';

/** How this API process answered an event's claims, one count per outcome of `claimOutcomes`. */
export type OutcomeCounts = Record<ClaimOutcome, number>;

export const zeroCounts = (): OutcomeCounts =>
  Object.fromEntries(claimOutcomes.map((outcome) => [outcome, 0])) as OutcomeCounts;

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
