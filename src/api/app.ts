import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Store } from '../store/store.ts';
import type { Gate } from '../gate/gate.ts';
import type { VerdictCache } from '../gate/verdict-cache.ts';
import type { Metrics } from '../metrics.ts';
import type { Auth } from './auth.ts';
import type { AdmissionTokens } from './admission-tokens.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { type AdminAddress, listenForAdmins } from './admin-listener.ts';
import { createOutcomeRecorder } from './claim-outcomes.ts';
import { type AnsweredReading, type ClaimTally, createClaimTally } from './claim-tally.ts';
import type { EventId } from '../claim.ts';
import { createEventCatalog } from './event-catalog.ts';
import { createHttpServer } from './http-server.ts';
import { recordHttpMetrics } from './http-metrics.ts';
import { readDeploymentGauges } from './deployment-gauges.ts';
import type { KafkaLag } from '../kafka/lag.ts';
import { createLiveFigures } from './live-figures.ts';
import { createLiveStream } from './live-stream.ts';
import { observeAnswers } from './observe-answers.ts';
import { registerAdminRoutes } from './routes/admin.ts';
import { registerClaimRoutes } from './routes/claims.ts';
import { registerDashboardRoutes } from './routes/dashboard.ts';
import { registerFailedClaimRoutes } from './routes/failed-claims.ts';
import { registerFigureHistory } from './figure-history.ts';
import { registerDocs } from './routes/docs.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { registerJwksRoute } from './routes/jwks.ts';
import { registerQueueRoutes } from './routes/queue.ts';

export interface AppDeps {
  store: Store;
  gate: Gate;
  verdicts: VerdictCache;
  auth: Auth;
  /** Signs and checks queued events' admission tokens; built once from ADMISSION_KEYS by the role. */
  admissionTokens: AdmissionTokens;
  metrics: Metrics;
  rateLimiter?: RateLimiter | undefined;
  logger?: FastifyBaseLogger;
  /** The workers' Kafka consumer lag for the dashboard; without it the dashboard shows "n/a". */
  kafkaLag?: KafkaLag;
  /** Where the built dashboard is; see routes/dashboard.ts. */
  dashboardDir?: string;
  /** This process's count of claim answers per event; the role passes one in when it must read it too. */
  tally?: ClaimTally;
  /** When this process is one of several API processes (`serve --workers N`): their figures together. */
  cluster?: ClusterReaders;
  /** ADMIN_PORT/ADMIN_HOST: where the operators' routes answer instead of the public listener. */
  adminAddress?: AdminAddress | undefined;
}

/** The figures of every API process of `serve --workers N`, which only their primary can gather. */
export interface ClusterReaders {
  /** The Prometheus text of all of them. */
  readMetrics: () => Promise<string>;
  /** Every one's answers about an event, summed. */
  readAnswered: (eventId: EventId) => Promise<AnsweredReading>;
}

export function buildApp(deps: AppDeps): FastifyInstance {
  const app = createHttpServer(deps.logger);
  if (deps.adminAddress) listenForAdmins(app, deps.adminAddress);

  const catalog = createEventCatalog(deps.store, deps.gate);
  const tally = deps.tally ?? createClaimTally();
  const outcomes = createOutcomeRecorder({ metrics: deps.metrics, tally });
  const figures = createLiveFigures({ ...deps, catalog, tally, readAnswered: deps.cluster?.readAnswered });
  const live = createLiveStream({ figures });
  app.addHook('onClose', async () => {
    live.close();
    await deps.kafkaLag?.close();
  });
  // Both watch route registrations, so they come first; the routes sit in a plugin so that the
  // OpenAPI plugin (loaded asynchronously) sees them.
  observeAnswers(app);
  recordHttpMetrics(app, deps.metrics);
  readDeploymentGauges(app, deps);
  registerDocs(app);
  app.register(async (routes) => {
    registerHealthRoutes(routes, deps);
    registerJwksRoute(routes, deps);
    registerClaimRoutes(routes, { ...deps, catalog, outcomes });
    registerQueueRoutes(routes, { ...deps, catalog });
    registerAdminRoutes(routes, { ...deps, catalog });
    registerDashboardRoutes(routes, { ...deps, catalog, live });
    registerFigureHistory(routes, { ...deps, catalog, figures });
    registerFailedClaimRoutes(routes, { ...deps, catalog });
  });
  return app;
}
