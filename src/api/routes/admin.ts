import { maxShards } from '../../gate/gate.ts';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { EVENT_ID_PATTERN, type EventDefinition } from '../../claim.ts';
import type { Store } from '../../store/store.ts';
import { AppError } from '../../errors.ts';
import { type Gate, queuedEventOf } from '../../gate/gate.ts';
import type { VerdictCache } from '../../gate/verdict-cache.ts';
import type { Auth } from '../auth.ts';
import { closeEvent } from '../close-event.ts';
import type { EventCatalog } from '../event-catalog.ts';
import { adminEventView, newEventFigures, type QueueFigures } from '../event-views.ts';
import type { Metrics } from '../../metrics.ts';
import { measuredPace } from '../queue-pace.ts';
import { queueSettingsOf, type QueueSettingsBody, queueSettingsSchema } from '../queue-settings.ts';

export interface AdminRouteDeps {
  metrics: Pick<Metrics, 'queueRefusals'>;
  store: Store;
  gate: Gate;
  catalog: EventCatalog;
  verdicts: VerdictCache;
  auth: Auth;
}

export interface CreateEventBody {
  id?: string;
  name: string;
  stock: number;
  perUserLimit?: number;
  /** Gate shards: 1..256, or 'auto' (one per Redis Cluster master, 1 on a single Redis). */
  shards?: number | 'auto';
  startsAt?: string;
  endsAt?: string;
  queue?: QueueSettingsBody;
}

const createEventSchema = {
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'stock'],
    properties: {
      id: { type: 'string', pattern: EVENT_ID_PATTERN },
      name: { type: 'string', minLength: 1, maxLength: 200 },
      stock: { type: 'integer', minimum: 1, maximum: 100_000_000 },
      perUserLimit: { type: 'integer', minimum: 1, maximum: 1000 },
      shards: { anyOf: [{ type: 'integer', minimum: 1, maximum: maxShards }, { const: 'auto' }] },
      startsAt: { type: 'string', format: 'date-time' },
      endsAt: { type: 'string', format: 'date-time' },
      queue: queueSettingsSchema,
    },
  },
} as const;

const patchEventSchema = {
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['queue'],
    properties: { queue: { anyOf: [queueSettingsSchema, { type: 'null' }] } },
  },
} as const;

const eventParams = {
  params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
} as const;

const newEventId = () => `ev_${randomBytes(9).toString('base64url')}`;

export function registerAdminRoutes(app: FastifyInstance, deps: AdminRouteDeps): void {
  const { store, gate, catalog, auth, metrics } = deps;

  async function queueFiguresOf(event: EventDefinition): Promise<QueueFigures | undefined> {
    if (!event.queue) return undefined;
    const [state, refusals] = await Promise.all([
      gate.queue.readState(queuedEventOf({ ...event, queue: event.queue })),
      metrics.queueRefusals.get(),
    ]);
    return {
      joined: state.joined,
      window: Math.floor(state.window),
      pace: measuredPace(state, event.queue.admitPerSecond),
      tokensIssued: state.tokensIssued,
      tokensUsed: state.tokensUsed,
      refusals: Object.fromEntries(refusals.values.map((v) => [String(v.labels.reason), v.value])),
    };
  }

  async function viewOf(event: EventDefinition) {
    const [figures, issued, failed, queueFigures] = await Promise.all([
      catalog.figuresOf(event),
      store.countCoupons(event.id),
      store.countUnresolvedFailures(event.id),
      queueFiguresOf(event),
    ]);
    return adminEventView(event, figures, { issued, failed }, Date.now(), queueFigures);
  }

  app.register(async (admin) => {
    admin.addHook('onRequest', async (request) => auth.checkAdmin(request.headers));

    admin.post<{ Body: CreateEventBody }>('/admin/events', { schema: createEventSchema }, async (request, reply) => {
      const body = request.body;
      const startsAt = body.startsAt === undefined ? null : new Date(body.startsAt);
      const endsAt = body.endsAt === undefined ? null : new Date(body.endsAt);
      if (endsAt && endsAt.getTime() <= (startsAt ?? new Date()).getTime()) {
        throw new AppError('INVALID_REQUEST', `endsAt: must be later than ${startsAt ? 'startsAt' : 'now'}`);
      }
      const event = await store.insertEvent({
        id: body.id ?? newEventId(),
        name: body.name,
        stock: body.stock,
        perUserLimit: body.perUserLimit ?? 1,
        shards: body.shards === undefined || body.shards === 'auto' ? await gate.countMasters() : body.shards,
        startsAt,
        endsAt,
        queue: body.queue === undefined ? null : queueSettingsOf(body.queue, startsAt),
      });
      catalog.remember(event);
      // Claims load the event into the gate on demand, so a Redis hiccup here loses nothing: a load lists
      // the event for the relay before anything makes it admit, so a half-done one admits nothing.
      await gate
        .loadEvent(event)
        .catch((error: unknown) => request.log.warn({ err: error }, 'event not yet in the gate'));
      return reply.code(201).send(adminEventView(event, newEventFigures(event), { issued: 0, failed: 0 }, Date.now()));
    });

    // A queue is set up, changed or removed only while the event is scheduled: see update-event-queue.ts.
    admin.patch<{ Params: { id: string }; Body: { queue: QueueSettingsBody | null } }>(
      '/admin/events/:id',
      { schema: { ...eventParams, ...patchEventSchema } },
      async (request) => {
        const current = await catalog.find(request.params.id);
        const queue = request.body.queue === null ? null : queueSettingsOf(request.body.queue, current.startsAt);
        const event = await store.updateEventQueue(current.id, queue, new Date());
        catalog.remember(event);
        return viewOf(event);
      },
    );

    admin.get('/admin/events', async () => {
      const events = await store.listEvents();
      return { events: await Promise.all(events.map(viewOf)) };
    });

    admin.get<{ Params: { id: string } }>('/admin/events/:id', { schema: eventParams }, async (request) =>
      viewOf(await catalog.find(request.params.id)),
    );

    // 200 only once every API process refuses the event's claims: see close-event.ts.
    admin.post<{ Params: { id: string } }>('/admin/events/:id/close', { schema: eventParams }, async (request) =>
      viewOf(await closeEvent(deps, request.params.id, request.log)),
    );
  });
}
