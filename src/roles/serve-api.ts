import type { FastifyInstance } from 'fastify';
import { buildApp, type ClusterReaders } from '../api/app.ts';
import type { ClaimTally } from '../api/claim-tally.ts';
import { createRateLimiter } from '../api/rate-limiter.ts';
import { createAuth } from '../api/auth.ts';
import { createAdmissionTokens } from '../api/admission-tokens.ts';
import { workerGroupId } from '../kafka/kafka-options.ts';
import { createKafkaLag } from '../kafka/lag.ts';
import type { Config } from '../config.ts';
import { createVerdictCache } from '../gate/verdict-cache.ts';
import type { Logger } from 'pino';
import type { Runtime } from './runtime.ts';
import { kafkaTargetOf } from './kafka-role.ts';
import { startQueueScheduler } from './queue-scheduler.ts';

export const authOptionsOf = (config: Config) => ({
  mode: config.AUTH_MODE,
  userIdHeader: config.USER_ID_HEADER,
  jwtSecret: config.JWT_SECRET,
  jwksUrl: config.JWT_JWKS_URL,
  issuer: config.JWT_ISSUER,
  audience: config.JWT_AUDIENCE,
  maxLifetimeSeconds: config.JWT_MAX_LIFETIME_SECONDS,
  trustedProxies: config.TRUSTED_PROXIES,
  proxySecret: config.TRUSTED_PROXY_SECRET,
  adminToken: config.ADMIN_TOKEN,
});

/** What an API without the means to sign anyone in will answer; said once per service. */
export function warnAboutSignIn(config: Config, log: Logger): void {
  if (!config.ADMIN_TOKEN) log.warn('ADMIN_TOKEN is not set: admin routes answer 401');
  if (config.AUTH_MODE === 'jwt' && !config.JWT_SECRET && !config.JWT_JWKS_URL) {
    log.warn('AUTH_MODE=jwt without JWT_SECRET or JWT_JWKS_URL: every claim answers 401');
  }
  if (!config.ADMISSION_KEYS) {
    log.warn(
      'ADMISSION_KEYS is not set: events with a queue answer 503 to their admission tokens ' +
        '(`firstcome keys generate` prints a value; every API process needs the same keys)',
    );
  }
}

/**
 * The API role: listens until stopped; returns a function that stops it. One of several API processes
 * (`serve --workers N`) passes its tally and the readers of all of them together (their primary warns).
 */
export async function startApi(
  runtime: Runtime,
  { tally, cluster }: { tally?: ClaimTally; cluster?: ClusterReaders } = {},
): Promise<{ app: FastifyInstance; stop: () => Promise<void> }> {
  const { config, log, store, gate, metrics } = runtime;
  if (!cluster) warnAboutSignIn(config, log);
  const verdicts = createVerdictCache();
  const unsubscribe = await gate.subscribeChanges(verdicts, (error) =>
    log.debug({ err: error }, 'gate-changes subscriber trouble'),
  );
  // The dashboard reads the workers' lag from Kafka: the workers may run anywhere.
  const kafkaLag = createKafkaLag({ ...kafkaTargetOf(config), groupId: workerGroupId(config.KAFKA_TOPIC) });
  const app = buildApp({
    store,
    gate,
    verdicts,
    auth: createAuth(authOptionsOf(config)),
    admissionTokens: createAdmissionTokens(config.ADMISSION_KEYS ?? []),
    metrics,
    rateLimiter: config.RATE_LIMIT_PER_SEC === undefined ? undefined : createRateLimiter(config.RATE_LIMIT_PER_SEC),
    logger: log,
    kafkaLag,
    tally,
    cluster,
    adminAddress: config.ADMIN_PORT === undefined ? undefined : { port: config.ADMIN_PORT, host: config.ADMIN_HOST },
  });
  await app.listen({ port: config.PORT, host: config.HOST });
  // Every API process runs one; the one holding its lease moves the queues (queue-scheduler.ts).
  const scheduler = startQueueScheduler({ store, gate, log });
  return {
    app,
    stop: async () => {
      await scheduler.stop();
      await app.close();
      await unsubscribe().catch(() => undefined);
    },
  };
}
