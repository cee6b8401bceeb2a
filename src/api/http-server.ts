import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { answerClientError, handleError, handleFrameworkError, handleNotFound } from './http-errors.ts';

/** Bodies here are a few hundred bytes; anything past this is not a coupon request. */
const bodyLimitBytes = 16 * 1024;

interface SchemaError {
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

/** "stock: must be <= 100000000": the field first, as the contract asks. */
const describeSchemaErrors = (errors: SchemaError[], dataVar: string) => {
  const first = errors[0];
  if (!first) return new Error(`${dataVar}: is not valid`);
  const named = first.params.missingProperty ?? first.params.additionalProperty;
  const path = [first.instancePath.replace(/^\//, '').replaceAll('/', '.'), typeof named === 'string' ? named : '']
    .filter(Boolean)
    .join('.');
  const detail = first.params.additionalProperty ? 'is not a known field' : (first.message ?? 'is not valid');
  return new Error(`${path || dataVar}: ${detail}`);
};

/**
 * The HTTP stack with the contract's error shapes and no routes: the API's, and the benchmark's
 * contestants', so that they differ only in what a claim does.
 */
export function createHttpServer(logger?: FastifyBaseLogger): FastifyInstance {
  const app = Fastify({
    ...(logger ? { loggerInstance: logger } : { logger: false }),
    bodyLimit: bodyLimitBytes,
    // One line per claim would drown the logs of a drop; errors are logged where they are handled.
    logController: new LogController({ disableRequestLogging: true }),
    // Fastify's default makes a pino child per request; without per-request lines it only costs.
    childLoggerFactory: (parent) => parent,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    schemaErrorFormatter: describeSchemaErrors,
    // What the HTTP parser refuses never reaches a route; it is answered in the contract's shape too.
    clientErrorHandler: answerClientError,
    frameworkErrors: handleFrameworkError,
  });

  // A claim needs no body, and clients often send an empty one with a JSON content type.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);
  return app;
}
