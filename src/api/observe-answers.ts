import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';

type Observer = (request: FastifyRequest, reply: FastifyReply, payload: unknown) => void;

const errorOf = (payload: unknown) => (payload as { error?: unknown } | null)?.error;
const idOf = (payload: unknown) => (payload as { id?: unknown } | null)?.id;
const paramId = (request: FastifyRequest) => (request.params as { id?: string }).id;

/** One line per admin change, for the audit trail: who changed what is in the logs, not only in the database. */
const adminObserver =
  (action: 'create' | 'close'): Observer =>
  (request, reply, payload) => {
    const eventId = action === 'create' ? idOf(payload) : paramId(request);
    if (reply.statusCode < 300) {
      request.log.info({ eventId, action }, action === 'create' ? 'event created' : 'event closed');
    } else if (reply.statusCode < 500) {
      request.log.info({ eventId, action, status: reply.statusCode, error: errorOf(payload) }, 'admin change refused');
    }
  };

const observerOf = (method: string, url: string): Observer | undefined => {
  if (method !== 'POST') return undefined;
  switch (url) {
    case '/admin/events':
      return adminObserver('create');
    case '/admin/events/:id/close':
      return adminObserver('close');
  }
  return undefined;
};

const asList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/**
 * Watches what the admin routes that change events answer, without touching them, and writes the audit
 * lines. It hooks only those routes, and must be called before they are registered. (The claim route
 * counts and logs its own answers: see routes/claims.ts.)
 */
export function observeAnswers(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = asList(route.method);
    const observe = methods.length === 1 ? observerOf(methods[0] ?? '', route.url) : undefined;
    if (!observe) return;
    route.preSerialization = [
      ...asList(route.preSerialization),
      (request, reply, payload, done) => {
        observe(request, reply, payload);
        done(null, payload);
      },
    ];
  });
}
