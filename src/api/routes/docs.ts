import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { claimOutcomes } from '../../claim.ts';
import { claimRefusals } from '../claim-outcomes.ts';

/*
 * The HTTP contract (CONTRACT.md) as OpenAPI. Paths, parameters and bodies come from the routes' own
 * schemas; the answers are described here, for the document only: a response schema on a route would
 * make Fastify re-serialize its answers, and the routes must answer exactly as they do.
 */

const errorCodes = [
  'invalid_request',
  'unauthenticated',
  'forbidden',
  'event_not_found',
  'event_exists',
  'event_started',
  'payload_too_large',
  'rate_limited',
  'unavailable',
  ...claimRefusals,
  'not_found',
  'internal',
];

const error = (description: string, codes: readonly string[] = errorCodes) => ({
  description,
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', enum: [...codes] },
    message: { type: 'string', description: 'A human sentence; for invalid_request it names the field.' },
  },
});

const nullableDate = { type: ['string', 'null'], format: 'date-time' };
const count = { type: 'integer', minimum: 0 };

const publicEvent = {
  type: 'object',
  required: ['id', 'name', 'stock', 'remaining', 'perUserLimit', 'shards', 'startsAt', 'endsAt', 'state'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    stock: { type: 'integer', minimum: 1 },
    remaining: count,
    perUserLimit: { type: 'integer', minimum: 1 },
    shards: { type: 'integer', minimum: 1, maximum: 256 },
    startsAt: nullableDate,
    endsAt: nullableDate,
    state: { type: 'string', enum: ['upcoming', 'open', 'sold_out', 'ended'] },
    queue: {
      type: ['object', 'null'],
      description: 'A fair start: joining opens at prequeueAt, the queue at startsAt (see /events/{id}/queue).',
      properties: { prequeueAt: { type: 'string', format: 'date-time' }, admitPerSecond: { type: 'integer' } },
    },
  },
};

const adminEvent = {
  type: 'object',
  required: [...publicEvent.required, 'admitted', 'issued', 'pending', 'failed'],
  properties: {
    ...publicEvent.properties,
    closedAt: nullableDate,
    createdAt: { type: 'string', format: 'date-time' },
    admitted: { ...count, description: 'Claims the gate admitted (202) and still counts against the stock.' },
    issued: { ...count, description: 'Coupon rows in the database.' },
    pending: { ...count, description: 'Admitted, not yet issued.' },
    failed: { ...count, description: 'Failed claims not yet issued (retrying or dead).' },
    queue: {
      type: ['object', 'null'],
      properties: {
        prequeueAt: { type: 'string', format: 'date-time' },
        admitPerSecond: { type: 'integer', minimum: 1 },
        maxActive: { type: ['integer', 'null'], minimum: 1 },
        tokenTtlSeconds: { type: 'integer', minimum: 10 },
        seed: {
          type: ['string', 'null'],
          description: 'The secret that ordered the pre-queue, revealed at the opening for audit.',
        },
      },
    },
  },
};

const healthChecks = {
  type: 'object',
  properties: { redis: { type: 'string', enum: ['ok', 'down'] }, postgres: { type: 'string', enum: ['ok', 'down'] } },
};

const unauthenticated = error('No admin token, or not the right one.', ['unauthenticated']);
const forbidden = error('A valid user token that is not the admin token.', ['forbidden']);
const notFound = error('No event has this id.', ['event_not_found']);
/** Sent with every 429 and 503 (api/http-errors.ts). */
const retryAfter = {
  'retry-after': { type: 'integer', minimum: 1, description: 'Seconds to wait before trying again.' },
};
const unavailable = {
  ...error('Redis or PostgreSQL did not answer; nothing was admitted or changed.', ['unavailable']),
  headers: retryAfter,
};
const invalid = error('A bad field; the message names it.', ['invalid_request']);
const userUnauthenticated = error('No user identity (AUTH_MODE decides where it comes from).', ['unauthenticated']);

type Security = Array<Record<string, string[]>>;
const admin: Security = [{ adminToken: [] }];
const user: Security = [{ userJwt: [] }, { userHeader: [] }];

interface Documented {
  summary: string;
  description?: string;
  /** Request headers beyond the security schemes, as a JSON schema of an object. */
  headers?: Record<string, unknown>;
  tags: string[];
  security?: Security;
  produces?: string;
  response: Record<string, unknown>;
}

/** The answers of every route, by "METHOD url"; docs.int.test.ts checks the real answers against them. */
export const documentedRoutes: Record<string, Documented> = {
  'GET /healthz': {
    summary: 'The process is alive',
    tags: ['health'],
    response: { 200: { type: 'object', required: ['status'], properties: { status: { const: 'ok' } } } },
  },
  'GET /readyz': {
    summary: 'Redis and PostgreSQL answer',
    tags: ['health'],
    response: {
      200: {
        type: 'object',
        required: ['status', 'checks'],
        properties: { status: { const: 'ready' }, checks: healthChecks },
      },
      503: {
        ...error('A dependency is down.', ['unavailable']),
        properties: { ...error('', ['unavailable']).properties, checks: healthChecks },
      },
    },
  },
  'GET /metrics': {
    summary: 'Prometheus metrics',
    tags: ['health'],
    produces: 'text/plain',
    response: { 200: { description: 'Prometheus text exposition format', type: 'string' } },
  },
  'GET /.well-known/jwks.json': {
    summary: 'The public keys that verify admission tokens (JWKS)',
    description:
      'Admission tokens (the `token` of `GET /events/{id}/queue/me`) are ES256 JWTs: `iss` firstcome, `aud` the ' +
      'event, `sub` the user, `kid` one of these keys. Empty when no ADMISSION_KEYS are configured. ' +
      'Cache-Control allows keeping it for 5 minutes; a token with an unknown kid is reason to fetch it again.',
    tags: ['claims'],
    response: {
      200: {
        type: 'object',
        required: ['keys'],
        properties: {
          keys: {
            type: 'array',
            items: {
              type: 'object',
              required: ['kty', 'crv', 'x', 'y', 'kid', 'alg', 'use'],
              additionalProperties: false,
              properties: {
                kty: { const: 'EC' },
                crv: { const: 'P-256' },
                x: { type: 'string' },
                y: { type: 'string' },
                kid: { type: 'string' },
                alg: { const: 'ES256' },
                use: { const: 'sig' },
              },
            },
          },
        },
      },
    },
  },
  'GET /events/{id}': {
    summary: 'An event as users see it',
    tags: ['claims'],
    response: { 200: publicEvent, 404: notFound, 503: unavailable },
  },
  'POST /events/{id}/claims': {
    summary: 'Claim a coupon',
    description:
      'No body needed. 202 means admitted: the coupon will be issued (see /claims/me). Every 409 admitted nothing. ' +
      'With an `Idempotency-Key`, a request the gate admitted is answered again with the same 202 and `claimId` ' +
      'when the same user sends the same key for the same event, whatever happened since (limit reached, sold ' +
      'out, ended, issued): retry a 503 or a lost connection with the same key and no second coupon is taken. ' +
      'A key whose request was refused (409) or failed before the gate decided is not used up. ' +
      'The gate keeps keys until a day after the event ends, or a week after their last use for an event without an end.',
    tags: ['claims'],
    security: user,
    headers: {
      type: 'object',
      properties: {
        'idempotency-key': {
          type: 'string',
          pattern: '^[!-~]{1,128}$',
          description: '1 to 128 visible ASCII characters (0x21-0x7E); anything else is 400 invalid_request.',
        },
      },
    },
    response: {
      202: {
        type: 'object',
        required: ['claimId', 'eventId', 'userId', 'status'],
        properties: {
          claimId: { type: 'string' },
          eventId: { type: 'string' },
          userId: { type: 'string' },
          status: { const: 'pending' },
        },
      },
      400: invalid,
      401: userUnauthenticated,
      404: notFound,
      409: error('Refused, nothing admitted.', claimRefusals),
      413: error('The body is too large.', ['payload_too_large']),
      429: { ...error('An operator-configured rate limit.', ['rate_limited']), headers: retryAfter },
      503: unavailable,
    },
  },
  'GET /events/{id}/claims/me': {
    summary: "The caller's claims in this event",
    tags: ['claims'],
    security: user,
    response: {
      200: {
        type: 'object',
        required: ['claims'],
        properties: {
          claims: {
            type: 'array',
            items: {
              type: 'object',
              required: ['claimId', 'status'],
              properties: {
                claimId: { type: 'string' },
                status: { type: 'string', enum: ['pending', 'issued', 'failed'] },
                couponId: { type: 'string' },
                issuedAt: { type: 'string', format: 'date-time' },
              },
            },
          },
        },
      },
      400: invalid,
      401: userUnauthenticated,
      404: notFound,
      503: unavailable,
    },
  },
  'POST /admin/events': {
    summary: 'Create an event',
    tags: ['admin'],
    security: admin,
    response: {
      201: adminEvent,
      400: invalid,
      401: unauthenticated,
      403: forbidden,
      409: error('An event with this id exists.', ['event_exists']),
      413: error('The body is too large.', ['payload_too_large']),
      503: unavailable,
    },
  },
  'PATCH /admin/events/{id}': {
    summary: "Set, change or remove (null) a scheduled event's queue",
    description: 'Until 5 seconds before the start; after that the queue is fixed (409 event_started).',
    tags: ['admin'],
    security: admin,
    response: {
      200: adminEvent,
      400: invalid,
      401: unauthenticated,
      403: forbidden,
      404: notFound,
      409: error('The event has started or closed, or starts within 5 seconds.', ['event_started']),
      503: unavailable,
    },
  },
  'GET /admin/events': {
    summary: 'Every event with its live figures',
    tags: ['admin'],
    security: admin,
    response: {
      200: { type: 'object', required: ['events'], properties: { events: { type: 'array', items: adminEvent } } },
      401: unauthenticated,
      403: forbidden,
      503: unavailable,
    },
  },
  'GET /admin/events/{id}': {
    summary: 'An event with its live figures',
    tags: ['admin'],
    security: admin,
    response: { 200: adminEvent, 401: unauthenticated, 403: forbidden, 404: notFound, 503: unavailable },
  },
  'POST /admin/events/{id}/close': {
    summary: 'Close an event: from now on its claims answer 409 ended',
    tags: ['admin'],
    security: admin,
    response: { 200: adminEvent, 401: unauthenticated, 403: forbidden, 404: notFound, 503: unavailable },
  },
  'GET /admin/stream/events/{id}': {
    summary: "The dashboard's live figures of an event (server-sent events)",
    description:
      'An `event: history` message with the points so far, then `event: figures` about once a second ' +
      '(stock, remaining, admitted and issued with their rates, outbox backlog, Kafka consumer lag, ' +
      `failed claims, and this API process's answers by outcome: ${claimOutcomes.join(', ')}), ` +
      'and `event: trouble` when the figures cannot be read. ' +
      'Read it with fetch() and the Authorization header; the token never goes in the URL.',
    tags: ['admin'],
    security: admin,
    produces: 'text/event-stream',
    response: {
      200: { description: 'A text/event-stream that stays open', type: 'string' },
      401: unauthenticated,
      403: forbidden,
      404: notFound,
    },
  },
};

/** Fastify's ":id" as OpenAPI's "{id}". */
const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

const withAnswers = ({ schema, url, route }: { schema: FastifySchema; url: string; route: { method: unknown } }) => {
  const method = String(Array.isArray(route.method) ? route.method[0] : route.method);
  const documented = documentedRoutes[`${method} ${openApiPath(url)}`];
  if (!documented) return { schema, url };
  const { produces, response, ...rest } = documented;
  const typed = produces
    ? Object.fromEntries(
        Object.entries(response).map(([status, body]) => [
          status,
          status.startsWith('2')
            ? { description: (body as { description: string }).description, content: { [produces]: { schema: body } } }
            : body,
        ]),
      )
    : response;
  return { schema: { ...schema, ...rest, response: typed }, url };
};

/**
 * Registers the OpenAPI document (/docs/json) and its browser UI (/docs). Routes registered after
 * this, in a plugin, are documented; see app.ts.
 */
export function registerDocs(app: FastifyInstance): void {
  app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'firstcome',
        version: '0.1.0',
        description:
          'First-come-first-served coupon drops: exactly `stock` coupons, never N+1, never lost. ' +
          'Every error is `{"error": "<code>", "message": "<human sentence>"}`.',
      },
      tags: [
        { name: 'claims', description: 'What users call' },
        { name: 'admin', description: 'Operators, with `Authorization: Bearer $ADMIN_TOKEN`' },
        { name: 'health', description: 'Probes and metrics' },
      ],
      components: {
        securitySchemes: {
          adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' },
          userJwt: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: 'AUTH_MODE=jwt: the user id is the `sub` of the token',
          },
          userHeader: {
            type: 'apiKey',
            in: 'header',
            name: 'x-user-id',
            description: 'AUTH_MODE=trusted-header, behind a gateway that authenticates (USER_ID_HEADER names it)',
          },
        },
      },
    },
    transform: withAnswers,
  });
  app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
}
