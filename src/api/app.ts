import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Database } from '../db/database.ts';
import type { Gate } from '../gate/gate.ts';
import type { GateRedis } from '../gate/redis.ts';
import type { VerdictCache } from '../gate/verdict-cache.ts';
import type { Metrics } from '../metrics.ts';
import type { Auth } from './auth.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { createClaimTally } from './claim-tally.ts';
import { createEventCatalog } from './event-catalog.ts';
import { handleError, handleNotFound } from './http-errors.ts';
import type { KafkaLag } from './kafka-lag.ts';
import { createLiveFigures } from './live-figures.ts';
import { createLiveStream } from './live-stream.ts';
import { observeAnswers } from './observe-answers.ts';
import { registerAdminRoutes } from './routes/admin.ts';
import { registerClaimRoutes } from './routes/claims.ts';
import { registerDashboardRoutes } from './routes/dashboard.ts';
import { registerDocs } from './routes/docs.ts';
import { registerHealthRoutes } from './routes/health.ts';

export interface AppDeps {
  db: Database;
  redis: GateRedis;
  gate: Gate;
  verdicts: VerdictCache;
  auth: Auth;
  metrics: Metrics;
  rateLimiter?: RateLimiter | undefined;
  logger?: FastifyBaseLogger;
  /** The workers' Kafka consumer lag for the dashboard; without it the dashboard shows "n/a". */
  kafkaLag?: KafkaLag;
  /** Where the built dashboard is; see routes/dashboard.ts. */
  dashboardDir?: string;
}

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

export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    bodyLimit: bodyLimitBytes,
    // One line per claim would drown the logs of a drop; errors are logged where they are handled.
    logController: new LogController({ disableRequestLogging: true }),
    // Fastify's default makes a pino child per request; without per-request lines it only costs.
    childLoggerFactory: (logger) => logger,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    schemaErrorFormatter: describeSchemaErrors,
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

  const catalog = createEventCatalog(deps.db, deps.gate);
  const tally = createClaimTally();
  const live = createLiveStream({ figures: createLiveFigures({ ...deps, catalog, tally }) });
  app.addHook('onClose', async () => {
    live.close();
    await deps.kafkaLag?.close();
  });
  // Both watch route registrations, so they come first; the routes sit in a plugin so that the
  // OpenAPI plugin (loaded asynchronously) sees them.
  observeAnswers(app, tally);
  registerDocs(app);
  app.register(async (routes) => {
    registerHealthRoutes(routes, deps);
    registerClaimRoutes(routes, { ...deps, catalog });
    registerAdminRoutes(routes, { ...deps, catalog });
    registerDashboardRoutes(routes, { ...deps, catalog, live });
  });
  return app;
}
