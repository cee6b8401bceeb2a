import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FirstcomeProcess, spawnFirstcome } from './fixtures/processes.ts';
import { freePort, waitFor } from './fixtures/basics.ts';
import { startPrivateRedis, useDatabase, useKafkaTopics } from './fixtures/datastores.ts';

describe('relay and worker run alone', () => {
  const t = useDatabase();
  const topics = useKafkaTopics();
  const processes: FirstcomeProcess[] = [];
  let redis: Awaited<ReturnType<typeof startPrivateRedis>> | undefined;

  beforeAll(async () => {
    redis = await startPrivateRedis();
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill()));
    await redis?.stop();
  });

  it.each(['relay', 'worker'])('%s answers /metrics on METRICS_PORT', async (role) => {
    const port = await freePort();
    const proc = spawnFirstcome([role], {
      DATABASE_URL: t.url,
      REDIS_URL: redis!.url,
      KAFKA_TOPIC: topics.topic(),
      METRICS_PORT: String(port),
    });
    processes.push(proc);
    const text = await waitFor(`${role} metrics on port ${port}`, async () => {
      if (proc.child.exitCode !== null) throw new Error(`${role} exited: ${proc.output()}`);
      const response = await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined);
      return response?.ok ? response.text() : undefined;
    });
    expect(text).toContain(role === 'relay' ? 'firstcome_relay_claims_total' : 'firstcome_worker_rows_total');
  });
});
