import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventDefinition } from '../../test/fixtures/tickets.ts';
import { AppError } from '../errors.ts';
import { randomId, waitFor } from '../../test/fixtures/basics.ts';
import { usePrivateCluster } from '../../test/fixtures/datastores.ts';
import { layoutOf } from './event-layout.ts';
import { type Admission, createGate } from './gate.ts';
import { connectRedis, createRedis, type GateRedis, nodeClientFor } from './redis.ts';

describe('a master fails over mid-drop (REDIS_WAIT_REPLICAS=1)', () => {
  // A master dies here: a cluster of the file's own.
  const cluster = usePrivateCluster(7100);
  let redis: GateRedis | undefined;

  beforeAll(async () => {
    redis = await connectRedis(createRedis(cluster.options), () => undefined);
  });

  afterAll(() => {
    redis?.destroy();
  });

  it('answers 503 while the replica takes over, never a 202 it then forgets, and never a ticket twice', async () => {
    const gate = createGate(redis!, { replicaWait: { replicas: 1, timeoutMs: 500 } });
    const eventId = randomId('ev');
    const event = eventDefinition(eventId, { stock: 100_000, shards: 3 });
    await gate.loadEvent(event);
    const layout = layoutOf(eventId, 3);
    const victim = await nodeClientFor(redis!, layout.shardKeys[1]!.event);
    const victimPid = Number(/process_id:(\d+)/.exec(await victim.info('server'))?.[1]);
    expect(victimPid).toBeGreaterThan(0);

    const admitted: Array<{ userId: string; claimId: string; admission: Admission }> = [];
    const unexpected: unknown[] = [];
    let unavailable = 0;
    let next = 0;
    let isRunning = true;
    const claimer = async () => {
      while (isRunning) {
        const userId = `u${next++}`;
        const claimId = randomId('c');
        try {
          const admission = await gate.admitClaim({ eventId, userId, claimId });
          if (admission.kind === 'ADMITTED') admitted.push({ userId, claimId, admission });
          else unexpected.push(admission);
        } catch (error) {
          if (error instanceof AppError && error.code === 'GATE_UNAVAILABLE') unavailable++;
          else unexpected.push(error);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    };
    const claimers = Array.from({ length: 20 }, claimer);
    try {
      await waitFor('a few hundred admissions', () => admitted.length >= 300);
      process.kill(victimPid, 'SIGKILL');
      const before = admitted.length;
      await waitFor('503s while the master is gone', () => unavailable > 0);
      // The replica is promoted, but with no replica of its own it cannot confirm an admission: the shard
      // answers 503 until the old master is back, as the new master's replica.
      await cluster.restart();
      await waitFor(
        'admissions on the failed-over shard',
        () => admitted.slice(before).some(({ userId }) => layout.homeOf(userId) === 1),
        { timeoutMs: 90_000, intervalMs: 100 },
      );
    } finally {
      isRunning = false;
      await Promise.all(claimers);
    }
    expect(unexpected.map(String)).toEqual([]);
    // Every 202 survived the failover: each claim is still held, and no ticket went out twice.
    for (const { userId, claimId } of admitted) {
      expect((await gate.listHeldClaims(eventId, userId)).map((c) => c.claimId)).toEqual([claimId]);
    }
    const tickets = admitted.map(({ admission }) => (admission.kind === 'ADMITTED' ? admission.seq : 0));
    expect(new Set(tickets).size).toBe(admitted.length);
  });
});
