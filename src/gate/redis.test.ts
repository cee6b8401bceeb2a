import { describe, expect, it } from 'vitest';
import { redisCredentials } from './redis.ts';

describe('redisCredentials', () => {
  it("prefers REDIS_URL's credentials, and gives REDIS_PASSWORD to a URL (or cluster nodes) without any", () => {
    expect(redisCredentials({ url: 'redis://u:p%40ss@h:1', password: 'other' })).toEqual({
      username: 'u',
      password: 'p@ss',
    });
    expect(redisCredentials({ url: 'redis://h:1', password: 'secret' })).toEqual({ password: 'secret' });
    expect(redisCredentials({ url: 'redis://h:1', clusterNodes: ['h:7000'], password: 'secret' })).toEqual({
      password: 'secret',
    });
    expect(redisCredentials({ url: 'redis://h:1' })).toEqual({});
  });
});
