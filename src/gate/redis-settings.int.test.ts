import { afterEach, describe, expect, it } from 'vitest';
import { startPrivateRedis } from '../../test/fixtures/datastores.ts';
import { spawnFirstcome } from '../../test/fixtures/processes.ts';
import { isAppError } from '../errors.ts';
import { openGate } from './open-gate.ts';
import type { RedisOptions } from './redis.ts';

type PrivateRedis = Awaited<ReturnType<typeof startPrivateRedis>>;

describe("the gate's Redis settings, checked at start", () => {
  const servers: PrivateRedis[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });

  const start = async (args: string[]) => {
    const server = await startPrivateRedis({ args });
    servers.push(server);
    return server;
  };

  /** The warnings of the check, or the error it refused with. */
  const check = async (options: RedisOptions, isProduction: boolean) => {
    const gate = await openGate(options, () => undefined);
    try {
      return await gate.checkSettings({ isProduction });
    } finally {
      await gate.close();
    }
  };

  it.each(['allkeys-lru', 'allkeys-random', 'volatile-lru', 'volatile-ttl'])(
    'refuses a Redis with maxmemory-policy %s, naming the setting to change',
    async (policy) => {
      const { url } = await start(['--maxmemory-policy', policy]);
      const refusal = await check({ url }, false).catch((error: unknown) => error);
      expect(isAppError(refusal, 'REDIS_EVICTS_KEYS')).toBe(true);
      expect((refusal as Error).message).toMatch(
        new RegExp(`^Redis has maxmemory-policy ${policy}, .* set maxmemory-policy noeviction$`),
      );
    },
  );

  it('accepts noeviction; in production it warns when nothing is kept on disk, and only then', async () => {
    const volatile = await start(['--maxmemory-policy', 'noeviction']);
    expect(await check({ url: volatile.url }, false)).toEqual([]);
    expect(await check({ url: volatile.url }, true)).toEqual([
      expect.stringMatching(/^Redis keeps nothing on disk \(no AOF, no RDB save\)/),
    ]);
    const snapshotting = await start(['--save', '3600 1']);
    expect(await check({ url: snapshotting.url }, true)).toEqual([]);
  });

  it('reads the policy from INFO where CONFIG is forbidden, and only warns when INFO is too', async () => {
    const password = 'managed-redis-password';
    const { url } = await start([
      ...['--maxmemory-policy', 'allkeys-lru'],
      ...['--user', 'noconfig', 'on', `>${password}`, '~*', '&*', '+@all', '-config'],
      ...['--user', 'noinfo', 'on', `>${password}`, '~*', '&*', '+@all', '-config', '-info'],
    ]);
    const refusal = await check({ url, username: 'noconfig', password }, false).catch((error: unknown) => error);
    expect(isAppError(refusal, 'REDIS_EVICTS_KEYS')).toBe(true);
    expect(await check({ url, username: 'noinfo', password }, false)).toEqual([
      'Redis: cannot read maxmemory-policy (CONFIG GET and INFO refused); make sure it is noeviction',
    ]);
  });

  it('stops `firstcome relay` with one line and exit code 1 on an evicting Redis', async () => {
    const { url } = await start(['--maxmemory-policy', 'allkeys-lru']);
    const relay = spawnFirstcome(['relay'], { REDIS_URL: url, LOG_LEVEL: 'silent' });
    expect(await relay.exited).toBe(1);
    expect(relay.output().trim().split('\n')).toEqual([
      expect.stringMatching(/^firstcome relay: Redis has maxmemory-policy allkeys-lru, /),
    ]);
  });
});
