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
  PAYLOAD_TOO_LARGE: { status: 413, error: 'payload_too_large' },
  RATE_LIMITED: { status: 429, error: 'rate_limited' },
  GATE_UNAVAILABLE: { status: 503, error: 'unavailable' },
  DB_UNAVAILABLE: { status: 503, error: 'unavailable' },
};

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

/** Maps every error to the contract's shape; a 5xx never shows its message or stack to the client. */
export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (isAppError(error)) {
    const http = httpOf[error.code];
    if (http) {
      if (http.status >= 500) request.log.warn({ err: error }, 'dependency unavailable');
      const message =
        http.status >= 500 ? 'A service this request needs is unavailable; nothing was admitted.' : error.message;
      return reply.code(http.status).send({ error: http.error, message });
    }
  } else if (error instanceof Error) {
    const known = fastifyErrorOf(error as FastifyError);
    if (known) return reply.code(known.status).send(known.body);
  }
  request.log.error({ err: error }, 'unexpected error');
  return reply.code(500).send({ error: 'internal', message: 'Something went wrong on our side.' });
}

export function handleNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply
    .code(404)
    .send({ error: 'not_found', message: `No route for ${request.method} ${request.url.split('?')[0]}.` });
}
