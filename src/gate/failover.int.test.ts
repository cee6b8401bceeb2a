import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventDefinition } from '../claim.ts';
import { AppError } from '../errors.ts';
import { randomId, repoRoot, waitFor } from '../../test/fixtures/basics.ts';
import { layoutOf } from './event-layout.ts';
import { type Admission, createGate } from './gate.ts';
import { connectRedis, createRedis, type GateRedis, nodeClientFor } from './redis.ts';

const run = promisify(execFile);

/** A Redis Cluster of this file's own (a master dies here), on ports no other test uses. */
const firstPort = 7100;
const clusterScript = join(repoRoot, 'scripts/local-redis-cluster');

describe('a master fails over mid-drop (REDIS_WAIT_REPLICAS=1)', () => {
  let dataDir = '';
  let redis: GateRedis | undefined;
  const env = () => ({ ...process.env, REDIS_CLUSTER_PORT: String(firstPort), REDIS_CLUSTER_DATA_DIR: dataDir });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'firstcome-failover-'));
    await run(clusterScript, ['start'], { env: env() });
    const nodes = Array.from({ length: 6 }, (_, i) => `127.0.0.1:${firstPort + i}`);
    redis = await connectRedis(createRedis({ url: '', clusterNodes: nodes }), () => undefined);
  }, 120_000);

  afterAll(async () => {
    redis?.destroy();
    if (dataDir) {
      await run(clusterScript, ['stop', '--purge'], { env: env() }).catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('answers 503 while the replica takes over, never a 202 it then forgets, and never a ticket twice', async () => {
    const gate = createGate(redis!, { replicaWait: { replicas: 1, timeoutMs: 500 } });
    const eventId = randomId('ev');
    const event: EventDefinition = {
      id: eventId,
      name: 'failover drop',
      stock: 100_000,
      perUserLimit: 1,
      shards: 3,
      startsAt: null,
      endsAt: null,
      closedAt: null,
      createdAt: new Date(),
    };
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
      await run(clusterScript, ['start'], { env: env() });
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
