import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId } from '../../test/fixtures/basics.ts';
import { unreachableGate, usePrivateRedis } from '../../test/fixtures/datastores.ts';
import { isAppError } from '../errors.ts';
import { rateBucketKeyPrefix } from './keys.ts';
import { createRateBuckets } from './rate-buckets.ts';
import { connectRedis, createRedis, type GateRedis, isCluster } from './redis.ts';

/** A window far longer than any test: what a test counts never lapses under it, however slow the machine. */
const windowSeconds = 600;

describe('rate buckets', () => {
  // A Redis of its own: the flood below must not load the shared one, and its EVAL count is ours alone.
  const r = usePrivateRedis();
  // A second connection: the buckets of another API process.
  let otherProcess: GateRedis;
  const names: string[] = [];
  const clients = ['alice', 'bob', 'mallory'];
  beforeAll(async () => {
    otherProcess = await connectRedis(createRedis(r.options), () => undefined);
  });
  afterAll(async () => {
    // One key at a time: on a cluster they live on different nodes.
    for (const name of names) {
      for (const client of clients) await r.redis.del(`${rateBucketKeyPrefix(name)}:${client}`);
    }
    otherProcess.destroy();
  });
  const bucketName = () => {
    const name = randomId('test');
    names.push(name);
    return name;
  };
  const countOf = async (name: string, client: string) =>
    Number(await r.redis.get(`${rateBucketKeyPrefix(name)}:${client}`));

  it('shares one allowance between processes, and says when it refills', async () => {
    const name = bucketName();
    const here = createRateBuckets(r.redis, { name, points: 3, windowSeconds });
    const there = createRateBuckets(otherProcess, { name, points: 3, windowSeconds });
    expect(await here.take('alice')).toEqual({ isAllowed: true });
    expect(await there.take('alice')).toEqual({ isAllowed: true });
    expect(await here.take('alice')).toEqual({ isAllowed: true });
    const refused = await there.take('alice');
    expect(refused).toMatchObject({ isAllowed: false });
    expect(!refused.isAllowed && refused.retryAfterMs).toBeGreaterThan(0);
    expect(!refused.isAllowed && refused.retryAfterMs).toBeLessThanOrEqual(windowSeconds * 1000);
    // Another client's bucket is its own.
    expect(await there.take('bob')).toEqual({ isAllowed: true });
  });

  it('refuses a flood from memory: each process reaches Redis once after the allowance is spent', async () => {
    const name = bucketName();
    const here = createRateBuckets(r.redis, { name, points: 5, windowSeconds });
    const there = createRateBuckets(otherProcess, { name, points: 5, windowSeconds });
    const evalsBefore = isCluster(r.redis) ? undefined : await evalCalls(r.redis);

    for (let i = 0; i < 5; i += 1) expect((await here.take('mallory')).isAllowed).toBe(true);
    const flood = async (buckets: typeof here) => {
      const verdicts = await Promise.all(Array.from({ length: 1000 }, () => buckets.take('mallory')));
      return verdicts.filter((verdict) => verdict.isAllowed).length;
    };
    expect(await flood(here)).toBe(0);
    // The other process has not seen the bucket spent: its first request of the flood asks Redis (the count
    // goes one over), the rest are refused from its memory.
    expect((await there.take('mallory')).isAllowed).toBe(false);
    expect(await flood(there)).toBe(0);

    expect(await countOf(name, 'mallory')).toBe(6);
    if (evalsBefore !== undefined) expect((await evalCalls(r.redis)) - evalsBefore).toBe(6);
  });

  it('fails with GATE_UNAVAILABLE when Redis does not answer, which callers may let through', async () => {
    const gate = await unreachableGate();
    const buckets = gate.createRateBuckets({ name: bucketName(), points: 1 });
    const error: unknown = await buckets.take('alice').catch((e: unknown) => e);
    expect(isAppError(error, 'GATE_UNAVAILABLE')).toBe(true);
  });
});

/** The EVAL calls Redis has run since its start (INFO commandstats): the rate bucket's script is one each. */
async function evalCalls(redis: GateRedis): Promise<number> {
  const info = await redis.info('commandstats');
  return Number(/^cmdstat_eval:calls=(\d+)/m.exec(info)?.[1] ?? 0);
}
