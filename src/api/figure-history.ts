import type { FastifyInstance } from 'fastify';
import type { EventId } from '../claim.ts';
import { AppError } from '../errors.ts';
import type { Gate } from '../gate/gate.ts';
import type { Auth } from './auth.ts';
import type { EventCatalog } from './event-catalog.ts';
import { startPeriodic } from '../runtime/periodic.ts';
import type { EventReading, LiveFigures } from './live-figures.ts';
import { type LiveFrame, ratesBetween } from './live-stream.ts';

/** One sample of an event's figures: a point of the dashboard's chart, and what its tiles need. */
export interface FigurePoint {
  atMs: number;
  admitted: number | null;
  issued: number | null;
  outboxBacklog: number | null;
  kafkaLag: number | null;
  failedRetrying: number | null;
  failedDead: number | null;
}

/** What GET /admin/events/:id/history answers: the points of the last hour, oldest first, and the last frame. */
export interface FigureHistory {
  points: FigurePoint[];
  /** The last sample in full, with the rates since the one before; null before the first sample. */
  last: LiveFrame | null;
}

export interface FigureHistoryOptions {
  /** @defaultValue 5000 */
  sampleEveryMs?: number;
  /** How far back the points go. @defaultValue 3_600_000 (an hour) */
  keepMs?: number;
}

export interface FigureHistoryDeps {
  gate: Gate;
  catalog: EventCatalog;
  figures: LiveFigures;
  auth: Auth;
}

interface Ring {
  points: FigurePoint[];
  last?: EventReading;
  lastFrame?: LiveFrame;
}

const pointOf = (reading: EventReading): FigurePoint => ({
  atMs: reading.atMs,
  admitted: reading.admitted,
  issued: reading.issued,
  outboxBacklog: reading.outbox?.backlog ?? null,
  kafkaLag: reading.kafka.lag,
  failedRetrying: reading.failures?.retrying ?? null,
  failedDead: reading.failures?.dead ?? null,
});

const eventParams = {
  params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
} as const;

/**
 * The last hour of every live event's figures, sampled by this API process whether or not a dashboard
 * watches, so that a dashboard opened or reloaded mid-drop starts with the whole drop instead of an empty
 * chart (the live stream keeps points only while someone watches). Live: on the relays' list and not ended
 * more than `keepMs` ago. Served at GET /admin/events/:id/history.
 */
export function registerFigureHistory(
  app: FastifyInstance,
  deps: FigureHistoryDeps,
  options: FigureHistoryOptions = {},
) {
  const { gate, catalog, figures, auth } = deps;
  const { sampleEveryMs = 5000, keepMs = 3_600_000 } = options;
  const rings = new Map<EventId, Ring>();

  // Events on a shared Redis that this deployment's database does not hold: not ours to sample.
  const foreign = new Set<EventId>();

  async function sampleEvent(eventId: EventId, nowMs: number): Promise<void> {
    if (foreign.has(eventId)) return;
    const window = await gate.readWindow(eventId);
    if (window && window.endsAtMs > 0 && window.endsAtMs < nowMs - keepMs) return;
    const reading = await figures.read(eventId).catch((error: unknown) => {
      if (error instanceof AppError && error.code === 'EVENT_NOT_FOUND' && foreign.size < 10_000) foreign.add(eventId);
      throw error;
    });
    const ring = rings.get(eventId) ?? { points: [] };
    ring.lastFrame = { ...reading, rates: ratesBetween(reading, ring.last, ring.lastFrame?.rates) };
    ring.last = reading;
    ring.points.push(pointOf(reading));
    rings.set(eventId, ring);
  }

  async function sampleAll(): Promise<void> {
    const nowMs = Date.now();
    // One event's trouble (a store down) must not stop the others' samples.
    const eventIds = await gate.listActiveEvents().catch(() => [...rings.keys()]);
    await Promise.allSettled(eventIds.map((eventId) => sampleEvent(eventId, nowMs)));
    for (const [eventId, ring] of rings) {
      while (ring.points.length > 0 && ring.points[0]!.atMs < nowMs - keepMs) ring.points.shift();
      if (ring.points.length === 0) rings.delete(eventId);
    }
  }

  let sampler: { stop(): Promise<void> } | undefined;
  app.addHook('onReady', async () => {
    sampler = startPeriodic(sampleEveryMs, sampleAll);
  });
  // Not awaited: a sample stuck on a dependency that is down must not hold up the shutdown.
  app.addHook('onClose', async () => {
    void sampler?.stop();
  });

  app.register(async (admin) => {
    admin.addHook('onRequest', async (request) => auth.checkAdmin(request.headers));
    admin.get<{ Params: { id: string } }>(
      '/admin/events/:id/history',
      { schema: eventParams },
      async (request): Promise<FigureHistory> => {
        const event = await catalog.find(request.params.id);
        const ring = rings.get(event.id);
        return { points: ring?.points ?? [], last: ring?.lastFrame ?? null };
      },
    );
  });
}
