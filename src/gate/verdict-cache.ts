import type { EventId } from '../claim.ts';

export type FinalVerdict = 'SOLD_OUT' | 'ENDED';

/**
 * Sold-out and ended events, remembered per API process so that the flood after a sell-out is answered
 * without a Redis round trip. An ended event never reopens; a sold-out one can, when a ticket is given
 * back, and the gate-changes channel then tells every process to forget it.
 */
export function createVerdictCache() {
  const verdicts = new Map<EventId, FinalVerdict>();
  return {
    get: (eventId: EventId): FinalVerdict | undefined => verdicts.get(eventId),
    remember(eventId: EventId, verdict: FinalVerdict): void {
      if (verdicts.get(eventId) !== 'ENDED') verdicts.set(eventId, verdict);
    },
    forget(eventId: EventId): void {
      if (verdicts.get(eventId) === 'SOLD_OUT') verdicts.delete(eventId);
    },
    forgetSoldOut(): void {
      for (const [eventId, verdict] of verdicts) if (verdict === 'SOLD_OUT') verdicts.delete(eventId);
    },
  };
}

export type VerdictCache = ReturnType<typeof createVerdictCache>;
