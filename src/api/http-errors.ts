import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorCode, isAppError } from '../errors.ts';
import type { Rejection } from '../gate/gate.ts';

/** The one place that knows HTTP statuses and the contract's error codes. */
const httpOf: Partial<Record<ErrorCode, { status: number; error: string }>> = {
  INVALID_REQUEST: { status: 400, error: 'invalid_request' },
  UNAUTHENTICATED: { status: 401, error: 'unauthenticated' },
  FORBIDDEN: { status: 403, error: 'forbidden' },
  EVENT_NOT_FOUND: { status: 404, error: 'event_not_found' },
  EVENT_EXISTS: { status: 409, error: 'event_exists' },
  EVENT_STARTED: { status: 409, error: 'event_started' },
  NOT_IN_QUEUE: { status: 404, error: 'not_in_queue' },
  NO_QUEUE: { status: 409, error: 'no_queue' },
  QUEUE_NOT_OPEN: { status: 409, error: 'not_started' },
  PAYLOAD_TOO_LARGE: { status: 413, error: 'payload_too_large' },
  RATE_LIMITED: { status: 429, error: 'rate_limited' },
  GATE_UNAVAILABLE: { status: 503, error: 'unavailable' },
  DB_UNAVAILABLE: { status: 503, error: 'unavailable' },
  AUTH_UNAVAILABLE: { status: 503, error: 'unavailable' },
};

/**
 * When a client may try again, in seconds, by status, unless the error says (the shared rate buckets know
 * when theirs refill: abuse-guard.ts): a dependency that was down usually answers within a second (Redis
 * reconnects, a repair's pause is short), and RATE_LIMIT_PER_SEC counts per one-second window
 * (rate-limiter.ts). A retried claim with the same Idempotency-Key takes no second coupon.
 */
const retryAfterSecondsOf: Partial<Record<number, number>> = { 429: 1, 503: 1 };

const rejectionOf: Record<Exclude<Rejection, 'NO_EVENT'>, { error: string; message: string }> = {
  SOLD_OUT: { error: 'sold_out', message: 'All coupons of this event are taken.' },
  LIMIT_REACHED: { error: 'limit_reached', message: 'You hold as many coupons of this event as one user may.' },
  NOT_STARTED: { error: 'not_started', message: 'This event has not started yet.' },
  ENDED: { error: 'ended', message: 'This event has ended.' },
};

export interface ErrorBody {
  error: string;
  message: string;
}

/** A claim the gate refused: a normal outcome, answered 409, that admitted nothing. */
export function sendRejection(reply: FastifyReply, rejection: Exclude<Rejection, 'NO_EVENT'>): FastifyReply {
  return reply.code(409).send(rejectionOf[rejection]);
}

const fastifyErrorOf = (error: FastifyError): { status: number; body: ErrorBody } | undefined => {
  // The only path parameter is an event id: one that fails its pattern names no event that can exist.
  if (error.validation && error.validationContext === 'params') {
    return { status: 404, body: { error: 'event_not_found', message: 'No event can have this id.' } };
  }
  if (error.validation) {
    return { status: 400, body: { error: 'invalid_request', message: error.message } };
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, body: { error: 'payload_too_large', message: 'The request body is too large.' } };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 400, body: { error: 'invalid_request', message: 'The request body must be JSON.' } };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return {
        status: 400,
        body: { error: 'invalid_request', message: 'The Content-Length does not match the body.' },
      };
  }
  if (error instanceof SyntaxError || error.statusCode === 400) {
    return {
      status: 400,
      body: { error: 'invalid_request', message: `The request body is not valid JSON: ${error.message}` },
    };
  }
  return undefined;
};

/** The answer to an error the contract names; undefined for the unexpected, which is a 500. */
const knownAnswerOf = (error: unknown): { status: number; body: ErrorBody } | undefined => {
  if (isAppError(error)) {
    const http = httpOf[error.code];
    if (!http) return undefined;
    const message =
      http.status >= 500 ? 'A service this request needs is unavailable; nothing was admitted.' : error.message;
    return { status: http.status, body: { error: http.error, message } };
  }
  return error instanceof Error ? fastifyErrorOf(error as FastifyError) : undefined;
};

/** The contract's error code that `handleError` answers `error` with. */
export const errorCodeOf = (error: unknown): string => knownAnswerOf(error)?.body.error ?? 'internal';

/** Maps every error to the contract's shape; a 5xx never shows its message or stack to the client. */
export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const known = knownAnswerOf(error);
  if (known) {
    if (known.status >= 500) request.log.warn({ err: error }, 'dependency unavailable');
    const retryAfterSeconds =
      (isAppError(error) ? error.retryAfterSeconds : undefined) ?? retryAfterSecondsOf[known.status];
    if (retryAfterSeconds !== undefined) void reply.header('retry-after', String(retryAfterSeconds));
    return reply.code(known.status).send(known.body);
  }
  request.log.error({ err: error }, 'unexpected error');
  return reply.code(500).send({ error: 'internal', message: 'Something went wrong on our side.' });
}

export function handleNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply
    .code(404)
    .send({ error: 'not_found', message: `No route for ${request.method} ${request.url.split('?')[0]}.` });
}

/**
 * Errors Fastify's router raises before any route runs: a path parameter beyond its maximum length (an
 * event id longer than any can be) and a URL whose percent-encoding is broken.
 */
export function handleFrameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void reply.code(404).send({ error: 'event_not_found', message: 'No event can have this id.' });
  } else if (error.code === 'FST_ERR_BAD_URL') {
    void reply.code(400).send({ error: 'invalid_request', message: 'The URL is not valid (broken percent-encoding).' });
  } else {
    void reply.code(500).send({ error: 'internal', message: 'Something went wrong on our side.' });
  }
}

/**
 * Answers what Node's HTTP parser refused (a control character in a header, a malformed request line,
 * headers too large, a request that never finished) in the contract's shape, then closes the connection:
 * after a parse error the rest of the stream cannot be trusted.
 */
export function answerClientError(error: Error & { code?: string; reason?: unknown }, socket: Duplex): void {
  // A reset connection has no one left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const message =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? 'The request headers are too large.'
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 'The request did not arrive in time.'
        : `The request is not valid HTTP${typeof error.reason === 'string' ? ` (${error.reason})` : ''}.`;
  const body = JSON.stringify({ error: 'invalid_request', message } satisfies ErrorBody);
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(
    'HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}
