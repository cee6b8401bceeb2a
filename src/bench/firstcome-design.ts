import { join } from 'node:path';
import { openGate } from '../gate/open-gate.ts';
import {
  benchAdminToken,
  nodeArgsOf,
  redisCallsEnv,
  userIdHeader,
  type BenchEvent,
  type Design,
  type DesignSite,
} from './design.ts';
import { deleteTopics } from './kafka-topics.ts';
import { freePort } from '../runtime/ports.ts';
import { spawnNode, waitForHttp, type ServerProcess } from './processes.ts';

/** The real service: `firstcome serve`, `relay` and `worker` as separate processes, default settings. */
export const firstcomeDesign: Design = {
  name: 'firstcome',
  summary:
    'the real service with default settings: `firstcome serve` (one Lua call per claim: window, stock, per-user ' +
    'limit, ticket, outbox entry, atomically; sold-out answered from memory), `firstcome relay` (outbox stream → ' +
    'Kafka) and `firstcome worker` (Kafka → batched idempotent inserts), each its own process',
  storesCoupons: true,
  async launch(site: DesignSite) {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: site.databaseUrl,
      ...(site.redisClusterNodes
        ? { REDIS_CLUSTER_NODES: site.redisClusterNodes.join(',') }
        : { REDIS_URL: site.redisUrl }),
      ...redisCallsEnv(site),
      KAFKA_BROKERS: site.kafkaBrokers.join(','),
      KAFKA_TOPIC: site.topic,
      AUTH_MODE: 'trusted-header',
      USER_ID_HEADER: userIdHeader,
      ADMIN_TOKEN: benchAdminToken,
      LOG_LEVEL: 'warn',
      API_WORKERS: String(site.workers),
    };
    const bin = join(site.repoRoot, 'bin/firstcome.js');
    const spawnRole = (role: string) =>
      spawnNode(`firstcome ${role}`, nodeArgsOf(site, `firstcome-${role}`, bin, [role]), { cwd: site.repoRoot, env });
    const origin = `http://127.0.0.1:${port}`;
    const events: string[] = [];
    const processes: ServerProcess[] = [];
    const stop = async () => {
      await Promise.all(processes.map((p) => p.stop()));
      const gate = await openGate({ url: site.redisUrl, clusterNodes: site.redisClusterNodes }, () => undefined);
      try {
        await gate.deleteEvents(events);
      } finally {
        await gate.close();
      }
      await deleteTopics(site.kafkaBrokers, [site.topic]);
    };
    try {
      // The API migrates the schema first; the other roles start on a migrated database.
      processes.push(spawnRole('serve'));
      await waitForHttp(`${origin}/healthz`, processes);
      for (const role of ['relay', 'worker']) processes.push(spawnRole(role));
    } catch (error) {
      await stop();
      throw error;
    }
    return {
      origin,
      processes,
      stop,
      async createEvent(event: BenchEvent) {
        events.push(event.id);
        const response = await fetch(`${origin}/admin/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${benchAdminToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            id: event.id,
            name: `bench ${event.id}`,
            stock: event.stock,
            perUserLimit: event.perUserLimit,
            shards: site.shards,
          }),
        });
        if (response.status !== 201) {
          throw new Error(`firstcome: creating event ${event.id} answered ${response.status} ${await response.text()}`);
        }
      },
    };
  },
};
