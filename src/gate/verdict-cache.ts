import type { EventId } from '../claim.ts';

export type FinalVerdict = 'SOLD_OUT' | 'ENDED';

/** A close or a restock, as every API process hears it; `generation` is the event's generation after it. */
export interface GateChange {
  kind: 'ended' | 'restocked';
  eventId: EventId;
  generation: number;
}

/** Where a verdict came from: the event's generation in the gate's reply, and when the claim was sent (`now()`). */
export interface VerdictSeen {
  generation: number;
  askedAtMs: number;
}

/** How long a sold-out verdict answers without the gate, and so how long a close waits: see createVerdictCache. */
export const defaultSoldOutMemoryMs = 1000;

export interface VerdictCacheOptions {
  /**
   * How long a sold-out verdict answers claims without asking the gate, counted from when the claim that
   * learnt it was sent, in ms. A close waits as long before it answers 200 (api/close-event.ts).
   * @defaultValue defaultSoldOutMemoryMs (1000)
   */
  soldOutMemoryMs?: number;
  /** Events remembered at most; beyond that the oldest is forgotten. @defaultValue 10_000 */
  maxEvents?: number;
  /** The clock, in ms; only its differences matter. @defaultValue performance.now */
  now?: () => number;
}

interface Memory {
  verdict: FinalVerdict | undefined;
  /** The newest generation a notice told of, and when (on this cache's clock) it was heard. */
  heardGeneration: number;
  heardAtMs: number;
  /** For SOLD_OUT: answered from memory until validUntilMs; from refreshAtMs one claim asks the gate again. */
  validUntilMs: number;
  refreshAtMs: number;
  isRefreshing: boolean;
}

/**
 * Sold-out and ended events, remembered per API process so that the flood after a sell-out is answered
 * without a Redis round trip.
 *
 * An ended event never reopens. A sold-out one does when a ticket comes back: the gate-changes channel
 * tells every process, and each verdict carries the event's generation (raised by every restock, close
 * and repair), so a SOLD_OUT decided before a restock and read after its notice is not remembered.
 *
 * A notice can still be missed (a subscriber reconnecting). So a sold-out memory lasts only
 * `soldOutMemoryMs` from when the claim that learnt it was sent (one claim asks the gate again in its
 * second half, to renew it), and a close waits that long after the gate ended the event before it
 * answers 200: a memory from before the end has lapsed by then in every process, whatever notices it
 * heard. Cheaper than any acknowledgement from every process, and it costs a drop one round trip per
 * process and event per half-second.
 */
export function createVerdictCache({
  soldOutMemoryMs = defaultSoldOutMemoryMs,
  maxEvents = 10_000,
  now = () => performance.now(),
}: VerdictCacheOptions = {}) {
  const memories = new Map<EventId, Memory>();
  const noSoldOut = () => ({ validUntilMs: -Infinity, refreshAtMs: -Infinity, isRefreshing: false });

  /** The event's memory, made the newest; the oldest is forgotten when there are too many. */
  function touch(eventId: EventId): Memory {
    let memory = memories.get(eventId);
    if (memory) {
      memories.delete(eventId);
    } else {
      memory = { verdict: undefined, heardGeneration: -Infinity, heardAtMs: -Infinity, ...noSoldOut() };
    }
    memories.set(eventId, memory);
    if (memories.size > maxEvents) {
      const oldest = memories.keys().next();
      if (!oldest.done) memories.delete(oldest.value);
    }
    return memory;
  }

  function forgetSoldOut(memory: Memory): void {
    if (memory.verdict !== 'SOLD_OUT') return;
    memory.verdict = undefined;
    Object.assign(memory, noSoldOut());
  }

  return {
    soldOutMemoryMs,
    /** The clock verdicts are stamped with: read it when a claim is sent to the gate. */
    now,

    get(eventId: EventId): FinalVerdict | undefined {
      const memory = memories.get(eventId);
      if (memory?.verdict !== 'SOLD_OUT') return memory?.verdict;
      const nowMs = now();
      if (nowMs < memory.refreshAtMs) return 'SOLD_OUT';
      if (nowMs >= memory.validUntilMs) return undefined;
      if (memory.isRefreshing) return 'SOLD_OUT';
      // This claim asks the gate, and its answer renews the memory; the others keep answering from it.
      memory.isRefreshing = true;
      return undefined;
    },

    /**
     * Remembers the gate's verdict. Without `seen`, a sold-out verdict counts as decided now, after every
     * notice heard so far.
     */
    remember(eventId: EventId, verdict: FinalVerdict, seen?: VerdictSeen): void {
      const existing = memories.get(eventId);
      if (existing?.verdict === 'ENDED') return;
      const askedAtMs = seen?.askedAtMs ?? now();
      // Sent before a notice that told of a newer generation, and decided before it: a restock came since.
      const isStale =
        seen !== undefined &&
        existing !== undefined &&
        seen.generation < existing.heardGeneration &&
        askedAtMs <= existing.heardAtMs;
      if (verdict === 'SOLD_OUT' && isStale) return;
      const memory = touch(eventId);
      memory.verdict = verdict;
      if (verdict === 'SOLD_OUT' && askedAtMs + soldOutMemoryMs > memory.validUntilMs) {
        memory.validUntilMs = askedAtMs + soldOutMemoryMs;
        memory.refreshAtMs = askedAtMs + soldOutMemoryMs / 2;
        memory.isRefreshing = false;
      }
    },

    /** A notice from the gate-changes channel (or this process's own close). */
    hear(change: GateChange): void {
      const memory = touch(change.eventId);
      memory.heardGeneration = Math.max(memory.heardGeneration, change.generation);
      memory.heardAtMs = now();
      if (change.kind === 'ended') memory.verdict = 'ENDED';
      else forgetSoldOut(memory);
    },

    /** After notices may have been missed (a reconnect): the next claims ask Redis again. */
    forgetSoldOut(): void {
      for (const memory of memories.values()) forgetSoldOut(memory);
    },

    /** Events remembered, for tests of the bound. */
    get size(): number {
      return memories.size;
    },
  };
}

export type VerdictCache = ReturnType<typeof createVerdictCache>;
