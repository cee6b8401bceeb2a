import { claimOutcomes, type EventId } from '../claim.ts';
import type { OutcomeCounts } from './claim-tally.ts';
import type { EventReading, LiveFigures } from './live-figures.ts';

export interface LiveRates {
  /** From the gate's admitted counter: every API process's admissions. */
  admittedPerSec: number | null;
  /** Coupon rows landing in the database. */
  issuedPerSec: number | null;
  /** Claims every API process answered, by outcome. */
  answeredPerSec: OutcomeCounts;
}

export type LiveFrame = EventReading & { rates: LiveRates };

/** A point of the dashboard's chart. */
export interface HistoryPoint {
  atMs: number;
  admitted: number | null;
  issued: number | null;
}

export interface LiveListener {
  /** The points so far, once, when the listener joins. */
  history(points: HistoryPoint[]): void;
  frame(frame: LiveFrame): void;
  trouble(message: string): void;
}

export interface LiveStreamOptions {
  figures: LiveFigures;
  /** @defaultValue 1000 */
  intervalMs?: number;
  /** Points kept per watched event for a newly joined chart. @defaultValue 600 (ten minutes at 1 s) */
  historySize?: number;
}

const perSecond = (now: number | null, before: number | null, seconds: number) =>
  now === null || before === null || seconds <= 0 ? null : Math.max(0, now - before) / seconds;

/** `previous`: the rates of the frame before, kept for the answers when their count has not been read anew. */
export function ratesBetween(now: EventReading, before: EventReading | undefined, previous?: LiveRates): LiveRates {
  const seconds = before ? (now.atMs - before.atMs) / 1000 : 0;
  // The API processes share one count of answers for a moment: its rate runs over the times it was counted.
  const answeredSeconds = before ? ((now.answeredAtMs ?? now.atMs) - (before.answeredAtMs ?? before.atMs)) / 1000 : 0;
  const answeredPerSec = { ...now.answered };
  for (const outcome of claimOutcomes) {
    answeredPerSec[outcome] = before
      ? (perSecond(now.answered[outcome], before.answered[outcome], answeredSeconds) ??
        previous?.answeredPerSec[outcome] ??
        0)
      : 0;
  }
  return {
    admittedPerSec: before ? perSecond(now.admitted, before.admitted, seconds) : null,
    issuedPerSec: before ? perSecond(now.issued, before.issued, seconds) : null,
    answeredPerSec,
  };
}

/**
 * One sampler per watched event, shared by every dashboard watching it: the stores are read once a
 * second however many people watch, and not at all when nobody does.
 */
export function createLiveStream({ figures, intervalMs = 1000, historySize = 600 }: LiveStreamOptions) {
  interface Sampler {
    listeners: Set<LiveListener>;
    history: HistoryPoint[];
    last?: EventReading;
    lastFrame?: LiveFrame;
    timer?: NodeJS.Timeout;
  }
  const samplers = new Map<EventId, Sampler>();

  async function sample(eventId: EventId, sampler: Sampler): Promise<void> {
    try {
      const reading = await figures.read(eventId);
      const frame: LiveFrame = { ...reading, rates: ratesBetween(reading, sampler.last, sampler.lastFrame?.rates) };
      sampler.last = reading;
      sampler.lastFrame = frame;
      sampler.history.push({ atMs: reading.atMs, admitted: reading.admitted, issued: reading.issued });
      if (sampler.history.length > historySize) sampler.history.shift();
      for (const listener of sampler.listeners) listener.frame(frame);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      for (const listener of sampler.listeners) listener.trouble(message);
    }
  }

  function schedule(eventId: EventId, sampler: Sampler): void {
    const startedAt = Date.now();
    void sample(eventId, sampler).finally(() => {
      if (samplers.get(eventId) !== sampler) return;
      // Reading every store takes a few ms; keep the beat at intervalMs, never overlapping.
      sampler.timer = setTimeout(() => schedule(eventId, sampler), Math.max(0, intervalMs - (Date.now() - startedAt)));
    });
  }

  function stop(eventId: EventId, sampler: Sampler): void {
    clearTimeout(sampler.timer);
    samplers.delete(eventId);
  }

  return {
    /** Starts sending `listener` the event's figures; returns the function that stops it. */
    subscribe(eventId: EventId, listener: LiveListener): () => void {
      let sampler = samplers.get(eventId);
      if (sampler) {
        sampler.listeners.add(listener);
        listener.history([...sampler.history]);
        if (sampler.lastFrame) listener.frame(sampler.lastFrame);
      } else {
        sampler = { listeners: new Set([listener]), history: [] };
        samplers.set(eventId, sampler);
        listener.history([]);
        schedule(eventId, sampler);
      }
      const joined = sampler;
      return () => {
        joined.listeners.delete(listener);
        if (joined.listeners.size === 0 && samplers.get(eventId) === joined) stop(eventId, joined);
      };
    },
    watchers(): number {
      let count = 0;
      for (const sampler of samplers.values()) count += sampler.listeners.size;
      return count;
    },
    close(): void {
      for (const [eventId, sampler] of samplers) stop(eventId, sampler);
    },
  };
}

export type LiveStream = ReturnType<typeof createLiveStream>;
