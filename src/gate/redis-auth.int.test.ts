import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateRedis } from '../../test/fixtures/datastores.ts';
import { waitFor } from '../../test/fixtures/basics.ts';
import { openGate } from './open-gate.ts';
import { connectRedis, createRedis } from './redis.ts';

describe('a Redis that asks for a password', () => {
  const password = 'p@ss word/1';
  let server: Awaited<ReturnType<typeof startPrivateRedis>> | undefined;
  const url = () => server!.url;
  beforeAll(async () => {
    server = await startPrivateRedis({ password });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const ping = async (options: Parameters<typeof openGate>[0]) => {
    const gate = await openGate(options, () => undefined);
    try {
      await gate.ping();
      return 'ok';
    } finally {
      await gate.close();
    }
  };

  it('is reached with REDIS_PASSWORD, or with the credentials in REDIS_URL', async () => {
    expect(await ping({ url: url(), password })).toBe('ok');
    const withCredentials = new URL(url());
    withCredentials.username = 'default';
    withCredentials.password = encodeURIComponent(password);
    expect(await ping({ url: withCredentials.href })).toBe('ok');
  });

  it('refuses a client without the password, or with a wrong one: it never gets ready, and says why', async () => {
    for (const options of [{ url: url() }, { url: url(), password: 'wrong' }]) {
      const redis = createRedis(options);
      const errors: string[] = [];
      const connecting = connectRedis(redis, (error) => errors.push(String(error)));
      await waitFor('the refusal', () => errors.some((e) => /NOAUTH|WRONGPASS/.test(e)));
      expect(redis.isReady).toBe(false);
      redis.destroy();
      await connecting.catch(() => undefined);
    }
  });
});
