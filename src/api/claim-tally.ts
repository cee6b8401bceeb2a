import type { EventId } from '../claim.ts';

/** How this API process answered claims; `unavailable` is a 503 (a dependency was down, nothing admitted). */
export const claimOutcomes = ['admitted', 'sold_out', 'limit_reached', 'not_started', 'ended', 'unavailable'] as const;
export type ClaimOutcome = (typeof claimOutcomes)[number];

export type OutcomeCounts = Record<ClaimOutcome, number>;

export const zeroCounts = (): OutcomeCounts => ({
  admitted: 0,
  sold_out: 0,
  limit_reached: 0,
  not_started: 0,
  ended: 0,
  unavailable: 0,
});

/**
 * Running totals of claim answers per event, in this process's memory: counting costs a map look-up and
 * an increment, so the claim path keeps its single Redis round trip. The dashboard turns two readings a
 * second apart into rates. Only events that answered a claim get an entry, so the map stays as small as
 * the set of live events.
 */
export function createClaimTally() {
  const counts = new Map<EventId, OutcomeCounts>();
  return {
    /** Returns the new total for this event and outcome. */
    count(eventId: EventId, outcome: ClaimOutcome): number {
      let event = counts.get(eventId);
      if (!event) {
        event = zeroCounts();
        counts.set(eventId, event);
      }
      return ++event[outcome];
    },
    read(eventId: EventId): OutcomeCounts {
      return { ...(counts.get(eventId) ?? zeroCounts()) };
    },
  };
}

export type ClaimTally = ReturnType<typeof createClaimTally>;
