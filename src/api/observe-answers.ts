import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { type ClaimOutcome, type ClaimTally, claimOutcomes } from './claim-tally.ts';

type Observer = (request: FastifyRequest, reply: FastifyReply, payload: unknown) => void;

const rejections = new Set<string>(claimOutcomes);
const errorOf = (payload: unknown) => (payload as { error?: unknown } | null)?.error;
const idOf = (payload: unknown) => (payload as { id?: unknown } | null)?.id;
const isDebugOn = (level: string) => level === 'debug' || level === 'trace';
const paramId = (request: FastifyRequest) => (request.params as { id?: string }).id;

const outcomeOf = (status: number, payload: unknown): ClaimOutcome | undefined => {
  if (status === 202) return 'admitted';
  if (status === 503) return 'unavailable';
  const error = errorOf(payload);
  if (status === 409 && typeof error === 'string' && rejections.has(error)) return error as ClaimOutcome;
  return undefined;
};

function claimObserver(tally: ClaimTally): Observer {
  return (request, reply, payload) => {
    const eventId = paramId(request);
    const outcome = outcomeOf(reply.statusCode, payload);
    if (eventId === undefined || outcome === undefined) return;
    const total = tally.count(eventId, outcome);
    // One line per claim would drown a drop's logs; it is there for whoever asks for debug.
    if (isDebugOn(request.log.level)) {
      request.log.debug({ eventId, outcome, claimId: (payload as { claimId?: string }).claimId }, 'claim answered');
    }
    if (outcome === 'sold_out' && total === 1) request.log.info({ eventId }, 'event sold out');
  };
}

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

const observerOf = (method: string, url: string, tally: ClaimTally): Observer | undefined => {
  if (method !== 'POST') return undefined;
  switch (url) {
    case '/events/:id/claims':
      return claimObserver(tally);
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
 * Watches what the claim and admin routes answer, without touching them: it tallies claims per event
 * for the dashboard and writes the notable log lines. It hooks only those routes, and must be called
 * before they are registered.
 */
export function observeAnswers(app: FastifyInstance, tally: ClaimTally): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = asList(route.method);
    const observe = methods.length === 1 ? observerOf(methods[0] ?? '', route.url, tally) : undefined;
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
