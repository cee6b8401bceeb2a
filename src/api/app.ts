import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Store } from '../store/store.ts';
import type { Gate } from '../gate/gate.ts';
import type { VerdictCache } from '../gate/verdict-cache.ts';
import type { Metrics } from '../metrics.ts';
import type { Auth } from './auth.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { createOutcomeRecorder } from './claim-outcomes.ts';
import { createClaimTally } from './claim-tally.ts';
import { createEventCatalog } from './event-catalog.ts';
import { createHttpServer } from './http-server.ts';
import type { KafkaLag } from '../kafka/lag.ts';
import { createLiveFigures } from './live-figures.ts';
import { createLiveStream } from './live-stream.ts';
import { observeAnswers } from './observe-answers.ts';
import { registerAdminRoutes } from './routes/admin.ts';
import { registerClaimRoutes } from './routes/claims.ts';
import { registerDashboardRoutes } from './routes/dashboard.ts';
import { registerDocs } from './routes/docs.ts';
import { registerHealthRoutes } from './routes/health.ts';

export interface AppDeps {
  store: Store;
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

export function buildApp(deps: AppDeps): FastifyInstance {
  const app = createHttpServer(deps.logger);

  const catalog = createEventCatalog(deps.store, deps.gate);
  const tally = createClaimTally();
  const outcomes = createOutcomeRecorder({ metrics: deps.metrics, tally });
  const live = createLiveStream({ figures: createLiveFigures({ ...deps, catalog, tally }) });
  app.addHook('onClose', async () => {
    live.close();
    await deps.kafkaLag?.close();
  });
  // Both watch route registrations, so they come first; the routes sit in a plugin so that the
  // OpenAPI plugin (loaded asynchronously) sees them.
  observeAnswers(app);
  registerDocs(app);
  app.register(async (routes) => {
    registerHealthRoutes(routes, deps);
    registerClaimRoutes(routes, { ...deps, catalog, outcomes });
    registerAdminRoutes(routes, { ...deps, catalog });
    registerDashboardRoutes(routes, { ...deps, catalog, live });
  });
  return app;
}
