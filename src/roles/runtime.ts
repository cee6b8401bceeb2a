import { createServer } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { createStore, type Store } from '../store/store.ts';
import { type GateHandle, openGate } from '../gate/open-gate.ts';
import { createMetrics, type Metrics } from '../metrics.ts';
import type { LoopHealth } from '../runtime/loop-health.ts';

/** Where the API listens, for its start line: the admin listener too when ADMIN_PORT is set. */
export const listenersOf = (config: Config) => ({
  port: config.PORT,
  host: config.HOST,
  ...(config.ADMIN_PORT === undefined ? {} : { adminPort: config.ADMIN_PORT, adminHost: config.ADMIN_HOST }),
});

export { createLogger } from './logger.ts';

export interface Runtime {
  config: Config;
  log: Logger;
  metrics: Metrics;
  store: Store;
  gate: GateHandle;
}

/**
 * Connections every role needs. Every process that touches the database migrates it first (the contract:
 * a fresh database works with any command); commands that answer `--help` or refuse their flags never
 * get here, so they change nothing.
 */
export async function openRuntime(config: Config, log: Logger): Promise<Runtime> {
  const store = createStore({ url: config.DATABASE_URL });
  await store.migrate();
  return { config, log, metrics: createMetrics({ pool: store }), store, gate: await connectGate(config, log) };
}

/**
 * The gate's Redis, once it is known not to evict the gate's keys: every command refuses one that may
 * (REDIS_EVICTS_KEYS), reconcile included, since a repair into it would not last.
 */
export async function connectGate(config: Config, log: Logger): Promise<GateHandle> {
  const gate = await openGateOf(config, log);
  try {
    const warnings = await gate.checkSettings({ isProduction: config.NODE_ENV === 'production' });
    for (const warning of warnings) log.warn(warning);
  } catch (error) {
    await gate.close();
    throw error;
  }
  return gate;
}

function openGateOf(config: Config, log: Logger): Promise<GateHandle> {
  let lastRedisError = '';
  const options = {
    url: config.REDIS_URL,
    clusterNodes: config.REDIS_CLUSTER_NODES,
    password: config.REDIS_PASSWORD,
    username: config.REDIS_USERNAME,
    tls:
      config.REDIS_TLS === 'true' || config.REDIS_URL.startsWith('rediss:')
        ? { ca: config.REDIS_TLS_CA_FILE }
        : undefined,
    replicaWait: { replicas: config.REDIS_WAIT_REPLICAS, timeoutMs: config.REDIS_WAIT_TIMEOUT_MS },
  };
  return openGate(options, (error) => {
    // A reconnect loop repeats its error many times a second; say it once per change.
    const message = error instanceof Error ? error.message : String(error);
    if (message !== lastRedisError) log.warn({ err: error }, 'Redis connection trouble');
    lastRedisError = message;
  });
}

/**
 * `relay` and `worker` run without the API, so where METRICS_PORT is set they answer /metrics on it for
 * Prometheus, and /healthz: 200 while their loop turns, 503 with the reason once it stalled (LOOP_STALL_MS).
 * `start` and `serve` have the API's /metrics.
 */
export async function serveMetrics(config: Config, metrics: Metrics, health: LoopHealth): Promise<() => Promise<void>> {
  if (config.METRICS_PORT === undefined) return async () => undefined;
  const server = createServer((request, response) => {
    if (request.method === 'GET' && request.url === '/metrics') {
      metrics.registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        () => response.writeHead(500).end(),
      );
    } else if (request.method === 'GET' && request.url === '/healthz') {
      const reading = health.read();
      const [status, body] = reading.isAlive
        ? [200, { status: 'ok' }]
        : [503, { error: 'unavailable', message: reading.reason }];
      response
        .writeHead(status, { 'content-type': 'application/json', ...(reading.isAlive ? {} : { 'retry-after': '1' }) })
        .end(JSON.stringify(body));
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.METRICS_PORT, config.HOST, resolve);
  });
  return () => new Promise((resolve) => server.close(() => resolve()));
}

export async function closeRuntime(runtime: Runtime): Promise<void> {
  await Promise.allSettled([runtime.gate.close(), runtime.store.destroy()]);
}

/** Runs `stop` once on SIGTERM or SIGINT, then exits; a second signal exits at once. */
export function onShutdown(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ signal }, 'shutting down');
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', handle);
  process.once('SIGINT', handle);
}
