import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { layoutOf } from '../src/gate/event-layout.ts';
import { connectRedis, createRedis, nodeClientFor } from '../src/gate/redis.ts';
import { randomId, waitFor } from './fixtures/basics.ts';
import { usePrivateCluster } from './fixtures/datastores.ts';
import { usePipeline } from './fixtures/pipeline.ts';
import { spawnFirstcome } from './fixtures/processes.ts';
import { type ClaimAnswer, createEventVia, expectPromisesHold, waitForCoupons } from './fixtures/promises.ts';

describe('a Redis master SIGKILLed mid-drop, with REDIS_WAIT_REPLICAS=1 (docs/scaling.md, Failover)', () => {
  const cluster = usePrivateCluster(7200);
  const p = usePipeline(() => ({ REDIS_WAIT_REPLICAS: '1', REDIS_WAIT_TIMEOUT_MS: '500' }), {
    redis: () => cluster.options,
  });

  it('answers 503 while a replica takes over, loses no 202, and every promise holds in the database', async () => {
    p.processes.dumpOnFailure();
    const eventId = randomId('ev');
    const stock = 2000;
    // shards "auto": one per master of the cluster, 3.
    await createEventVia(p.api, { id: eventId, name: 'failover', stock });
    p.spawn('relay');
    p.spawn('worker');

    // Each user claims once with an Idempotency-Key and, as a careful client does, retries a 503 with the
    // same key until the answer is final: a claim the master took and lost gets a fresh decision then.
    const answers: ClaimAnswer[] = [];
    let unavailable = 0;
    const claimUntilFinal = async (userId: string) => {
      const key = randomId('key');
      for (;;) {
        const response = await fetch(`${p.api.baseUrl}/events/${eventId}/claims`, {
          method: 'POST',
          headers: { 'x-user-id': userId, 'idempotency-key': key },
        });
        const body = (await response.json()) as { claimId?: string };
        if (response.status !== 503) {
          answers.push({ status: response.status, userId, ...(body.claimId ? { claimId: body.claimId } : {}) });
          return;
        }
        unavailable++;
        // The client's backoff before its retry, as Retry-After asks.
        await sleep(100);
      }
    };
    const users = Array.from({ length: 3000 }, (_, i) => `user-${i}`);
    let next = 0;
    const lanes = Array.from({ length: 32 }, async () => {
      while (next < users.length) await claimUntilFinal(users[next++]!);
    });

    const redis = await connectRedis(createRedis(cluster.options), () => undefined);
    try {
      const victim = await nodeClientFor(redis, layoutOf(eventId, 3).shardKeys[1]!.event);
      const victimPid = Number(/process_id:(\d+)/.exec(await victim.info('server'))?.[1]);
      await waitFor('500 admissions', () => answers.filter((a) => a.status === 202).length >= 500);
      process.kill(victimPid, 'SIGKILL');
      await waitFor('503s while the master is gone', () => unavailable > 0, { timeoutMs: 90_000 });
      // The promoted replica has no replica of its own: its shard answers 503 until the old master is back.
      await cluster.restart();
    } finally {
      redis.destroy();
      await Promise.all(lanes);
    }

    const admitted = answers.filter((a) => a.status === 202);
    expect(answers.every((a) => a.status === 202 || a.status === 409)).toBe(true);
    expect(admitted.length).toBeLessThanOrEqual(stock);
    await waitForCoupons(p.t.store, eventId, admitted.length);
    const reconcile = spawnFirstcome(['reconcile', '--event', eventId, '--repair'], p.env);
    expect(await reconcile.exited).toBe(0);
    await expectPromisesHold(p.t.probe, eventId, { stock, perUserLimit: 1, admitted });
  });
});
