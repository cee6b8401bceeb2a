import type { FastifyInstance, FastifyReply } from 'fastify';
import { EVENT_ID_PATTERN, type EventDefinition, type EventId, type EventQueue, type UserId } from '../../claim.ts';
import { AppError } from '../../errors.ts';
import { type GateFigures, type Gate, queuedEventOf, type QueueState, turnAtMsOf } from '../../gate/gate.ts';
import { createSharedReadings } from '../../runtime/shared-readings.ts';
import { type AdmissionTokens, jtiOf } from '../admission-tokens.ts';
import type { Auth } from '../auth.ts';
import type { EventCatalog } from '../event-catalog.ts';
import { sendRejection } from '../http-errors.ts';
import { measuredPace } from '../queue-pace.ts';

export interface QueueRouteDeps {
  gate: Gate;
  catalog: EventCatalog;
  auth: Auth;
  /** Signs the turns' admission tokens. */
  admissionTokens: AdmissionTokens;
}

/** A queued event's state and figures are read at most this often per process, for all its pollers. */
const snapshotMaxAgeMs = 200;

const eventParams = {
  params: { type: 'object', properties: { id: { type: 'string', pattern: EVENT_ID_PATTERN } }, required: ['id'] },
} as const;

export type QueueView =
  | { state: 'prequeue'; retryAfterMs: number }
  | { state: 'waiting'; position: number; ahead: number; etaSeconds: number; retryAfterMs: number }
  | { state: 'your_turn'; position: number; ahead: 0; token: string; retryAfterMs: number }
  | { state: 'expired' | 'sold_out' | 'ended'; position?: number };

interface Snapshot {
  state: QueueState;
  figures: GateFigures;
}

const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));

/** Before the opening: a poll a second near it, up to one in ten seconds far from it. */
const prequeueRetryMs = (startsAtMs: number, nowMs: number) => clamp((startsAtMs - nowMs) / 10, 1000, 10_000);

type QueuedDefinition = EventDefinition & { queue: EventQueue };

function withQueue(event: EventDefinition): QueuedDefinition {
  if (!event.queue || !event.startsAt) throw new AppError('NO_QUEUE', `Event ${event.id} has no queue.`);
  return { ...event, queue: event.queue };
}

/** `POST /events/:id/queue` and `GET /events/:id/queue/me` (CONTRACT.md, "Fair start"). */
export function registerQueueRoutes(app: FastifyInstance, deps: QueueRouteDeps): void {
  const { gate, catalog, auth, admissionTokens } = deps;
  const snapshots = createSharedReadings(snapshotMaxAgeMs, async (eventId: EventId): Promise<Snapshot> => {
    const event = withQueue(await catalog.find(eventId));
    const [state, figures] = await Promise.all([gate.queue.readState(queuedEventOf(event)), catalog.figuresOf(event)]);
    return { state, figures };
  });
  // Users this process counted as handed a token already (tokensIssued counts each once): no Redis call again.
  const counted = new Map<EventId, Set<UserId>>();

  async function countToken(event: QueuedDefinition, userId: UserId): Promise<void> {
    let users = counted.get(event.id);
    if (!users) counted.set(event.id, (users = new Set()));
    if (users.has(userId)) return;
    await gate.queue.countTokenIssued(queuedEventOf(event), userId);
    if (users.size > 100_000) users.clear();
    users.add(userId);
  }

  /** What a user whose queue was opened sees at `position`. */
  async function viewAt(event: QueuedDefinition, userId: UserId, position: number, nowMs: number): Promise<QueueView> {
    const { state, figures } = (await snapshots.read(event.id)).value;
    if (figures.endsAtMs > 0 && nowMs >= figures.endsAtMs) return { state: 'ended', position };
    if (figures.admitted >= figures.stock) return { state: 'sold_out', position };
    const window = Math.floor(state.window);
    if (position > window) {
      const ahead = position - 1 - window;
      const pace = measuredPace(state, event.queue.admitPerSecond);
      const etaSeconds = Math.ceil(ahead / pace);
      return { state: 'waiting', position, ahead, etaSeconds, retryAfterMs: clamp((ahead / pace) * 500, 500, 10_000) };
    }
    // A turn the log does not reach yet began at the last advance.
    const turnAtMs = turnAtMsOf(state.log, position) ?? state.advancedAtMs;
    const expiresAtMs = turnAtMs + event.queue.tokenTtlSeconds * 1000;
    if (nowMs >= expiresAtMs) return { state: 'expired', position };
    // Read with the window, which opened with it: absent only while the opening is still under way.
    if (!state.seed) throw new AppError('GATE_UNAVAILABLE', `event ${event.id}'s queue is still opening`);
    const token = await admissionTokens.sign({
      eventId: event.id,
      userId,
      jti: jtiOf(event.id, userId, state.seed),
      notBeforeMs: turnAtMs,
      expiresAtMs,
    });
    await countToken(event, userId);
    return { state: 'your_turn', position, ahead: 0, token, retryAfterMs: clamp(expiresAtMs - nowMs, 1000, 10_000) };
  }

  /** Ended or sold out, by the cached figures: said before any look at the user's place. */
  async function finalState(event: QueuedDefinition, nowMs: number): Promise<'ended' | 'sold_out' | undefined> {
    const { figures } = (await snapshots.read(event.id)).value;
    if (figures.endsAtMs > 0 && nowMs >= figures.endsAtMs) return 'ended';
    if (figures.admitted >= figures.stock) return 'sold_out';
    return undefined;
  }

  app.post<{ Params: { id: string } }>('/events/:id/queue', { schema: eventParams }, async (request, reply) => {
    const userId = await auth.userOf(request);
    const event = withQueue(await catalog.find(request.params.id));
    const nowMs = Date.now();
    if (nowMs < event.queue.prequeueAt.getTime()) return sendRejection(reply, 'NOT_STARTED');
    const final = await finalState(event, nowMs);
    if (final) return sendRejection(reply, final === 'ended' ? 'ENDED' : 'SOLD_OUT');
    const queued = queuedEventOf(event);
    const joined = await gate.queue.join(queued, userId);
    if (joined === 'not_started') return sendRejection(reply, 'NOT_STARTED');
    const answer = (view: QueueView) => reply.code(202).send(view);
    if (joined.phase === 'prequeue') {
      return answer({ state: 'prequeue', retryAfterMs: prequeueRetryMs(queued.startsAtMs, nowMs) });
    }
    return answer(await viewOf(event, userId, nowMs));
  });

  async function viewOf(event: QueuedDefinition, userId: UserId, nowMs: number): Promise<QueueView> {
    const queued = queuedEventOf(event);
    const place = await gate.queue.placeOf(queued, userId);
    if (place === 'not_joined') {
      throw new AppError('NOT_IN_QUEUE', `You have not joined the queue of event ${event.id}.`);
    }
    if (place === 'prequeue') {
      const final = await finalState(event, nowMs);
      return final ? { state: final } : { state: 'prequeue', retryAfterMs: prequeueRetryMs(queued.startsAtMs, nowMs) };
    }
    return viewAt(event, userId, place.position, nowMs);
  }

  app.get<{ Params: { id: string } }>(
    '/events/:id/queue/me',
    { schema: eventParams },
    async (request, reply: FastifyReply) => {
      const userId = await auth.userOf(request);
      const event = withQueue(await catalog.find(request.params.id));
      return reply.send(await viewOf(event, userId, Date.now()));
    },
  );
}
