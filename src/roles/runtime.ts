import { createServer } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { createStore, type Store } from '../store/store.ts';
import { type GateHandle, openGate } from '../gate/open-gate.ts';
import { createMetrics, type Metrics } from '../metrics.ts';

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

export function connectGate(config: Config, log: Logger): Promise<GateHandle> {
  let lastRedisError = '';
  const options = {
    url: config.REDIS_URL,
    clusterNodes: config.REDIS_CLUSTER_NODES,
    password: config.REDIS_PASSWORD,
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
 * `relay` and `worker` run without the API, so where METRICS_PORT is set they answer /metrics (and
 * /healthz) on it for Prometheus; `start` and `serve` have the API's /metrics.
 */
export async function serveMetrics(config: Config, metrics: Metrics): Promise<() => Promise<void>> {
  if (config.METRICS_PORT === undefined) return async () => undefined;
  const server = createServer((request, response) => {
    if (request.method === 'GET' && request.url === '/metrics') {
      metrics.registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        () => response.writeHead(500).end(),
      );
    } else if (request.method === 'GET' && request.url === '/healthz') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
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
