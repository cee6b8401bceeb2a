import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/store.ts';
import type { Gate } from '../../gate/gate.ts';
import type { Metrics } from '../../metrics.ts';

export interface HealthRouteDeps {
  store: Store;
  gate: Gate;
  metrics: Metrics;
  /** Set in one of several API processes (`serve --workers N`): /metrics answers for all of them. */
  cluster?: { readMetrics(): Promise<string> } | undefined;
}

const settle = async (check: () => Promise<unknown>): Promise<'ok' | 'down'> => {
  try {
    await check();
    return 'ok';
  } catch {
    return 'down';
  }
};

export function registerHealthRoutes(app: FastifyInstance, { store, gate, metrics, cluster }: HealthRouteDeps): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const [redis, postgres] = await Promise.all([settle(() => gate.ping()), settle(() => store.ping())]);
    if (redis === 'ok' && postgres === 'ok') return { status: 'ready', checks: { redis, postgres } };
    // The check keeps its name `postgres` whatever the store, so that monitors reading it need no change.
    const down = [redis === 'down' && 'Redis', postgres === 'down' && store.product].filter(Boolean).join(' and ');
    return reply
      .code(503)
      .header('retry-after', '1')
      .send({ error: 'unavailable', message: `${down} did not answer.`, checks: { redis, postgres } });
  });

  app.get('/metrics', async (request, reply) => {
    if (!cluster) return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    try {
      return reply.type(metrics.registry.contentType).send(await cluster.readMetrics());
    } catch (error) {
      // One process's own counts alone would look to Prometheus like the service's counters going down.
      request.log.warn({ err: error }, 'metrics: the API processes did not answer');
      return reply
        .code(503)
        .header('retry-after', '1')
        .send({ error: 'unavailable', message: 'The API processes did not answer in time.' });
    }
  });
}
