import type { EventDefinition, EventState } from '../claim.ts';
import { type GateFigures, windowOf } from '../gate/gate.ts';

const iso = (date: Date | null) => date?.toISOString() ?? null;

/** The state a user sees; `nowMs` comes from the caller so the view is a pure function. */
export function stateOf(event: EventDefinition, figures: GateFigures, nowMs: number): EventState {
  if (figures.endsAtMs > 0 && nowMs >= figures.endsAtMs) return 'ended';
  if (nowMs < figures.startsAtMs) return 'upcoming';
  if (figures.admitted >= event.stock) return 'sold_out';
  return 'open';
}

export function publicEventView(event: EventDefinition, figures: GateFigures, nowMs: number) {
  return {
    id: event.id,
    name: event.name,
    stock: event.stock,
    remaining: Math.max(0, event.stock - figures.admitted),
    perUserLimit: event.perUserLimit,
    shards: event.shards,
    startsAt: iso(event.startsAt),
    endsAt: iso(event.endsAt),
    state: stateOf(event, figures, nowMs),
    queue: event.queue && { prequeueAt: iso(event.queue.prequeueAt), admitPerSecond: event.queue.admitPerSecond },
  };
}

export interface StoredFigures {
  issued: number;
  failed: number;
}

/** A queue's figures for operators (the dashboard's queue panel), counted over every shard. */
export interface QueueFigures {
  joined: number;
  /** Positions 1..window have had their turn. */
  window: number;
  /** Turns per second, measured over the last seconds. */
  pace: number;
  tokensIssued: number;
  tokensUsed: number;
  /** This API process's refusals of joins and queued claims, by reason. */
  refusals: Record<string, number>;
}

export function adminEventView(
  event: EventDefinition,
  figures: GateFigures,
  stored: StoredFigures,
  nowMs: number,
  queueFigures?: QueueFigures,
) {
  return {
    ...publicEventView(event, figures, nowMs),
    closedAt: iso(event.closedAt),
    createdAt: iso(event.createdAt),
    admitted: figures.admitted,
    issued: stored.issued,
    pending: Math.max(0, figures.admitted - stored.issued),
    failed: stored.failed,
    queue: event.queue && {
      prequeueAt: iso(event.queue.prequeueAt),
      admitPerSecond: event.queue.admitPerSecond,
      maxActive: event.queue.maxActive,
      tokenTtlSeconds: event.queue.tokenTtlSeconds,
      seed: event.queue.seed,
      ...(queueFigures ? { figures: queueFigures } : {}),
    },
  };
}

/** A just-created event has admitted nothing: its view needs no round trip. */
export const newEventFigures = (event: EventDefinition): GateFigures => ({
  stock: event.stock,
  admitted: 0,
  ...windowOf(event),
});
