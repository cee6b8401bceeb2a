import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/store.ts';
import type { Auth } from '../auth.ts';
import type { EventCatalog } from '../event-catalog.ts';

export interface FailedClaimRouteDeps {
  store: Store;
  catalog: EventCatalog;
  auth: Auth;
}

/** The most a panel lists at once: the newest changes first. */
const listLimit = 200;

const eventParams = {
  params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
} as const;

const retrySchema = {
  ...eventParams,
  body: {
    type: ['object', 'null'],
    additionalProperties: false,
    properties: {
      claimIds: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'string', minLength: 1, maxLength: 128 } },
    },
  },
} as const;

/**
 * An event's failed claims for the dashboard's panel, and its retry button: the chosen claims (all of the
 * event's, without `claimIds`) still waiting for the retry job are made due now, and the job that runs in
 * `worker`/`start` takes them at its next pass (`firstcome failed retry` does the same from a shell).
 * Dead claims stay as they are: their ticket went back to the gate.
 */
export function registerFailedClaimRoutes(app: FastifyInstance, { store, catalog, auth }: FailedClaimRouteDeps): void {
  app.register(async (admin) => {
    admin.addHook('onRequest', async (request) => auth.checkAdmin(request.headers));

    admin.get<{ Params: { id: string } }>(
      '/admin/events/:id/failed-claims',
      { schema: eventParams },
      async (request) => {
        const event = await catalog.find(request.params.id);
        const claims = await store.listFailedClaims({
          eventId: event.id,
          states: ['retrying', 'dead'],
          limit: listLimit,
        });
        return { claims, counts: await store.countFailedClaimsByState(event.id) };
      },
    );

    admin.post<{ Params: { id: string }; Body: { claimIds?: string[] } | null }>(
      '/admin/events/:id/failed-claims/retry',
      { schema: retrySchema },
      async (request) => {
        const event = await catalog.find(request.params.id);
        const due = await store.makeFailedClaimsDue({ eventId: event.id, claimIds: request.body?.claimIds });
        request.log.info({ eventId: event.id, due, action: 'retry' }, 'failed claims made due');
        return { due };
      },
    );
  });
}
