import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';
import { isAppError } from './errors.ts';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    if (isAppError(error, 'CONFIG_INVALID')) return error.message.split('\n');
    throw error;
  }
  return [];
};

describe('loadConfig', () => {
  it("gives the contract's defaults for a single dev machine", () => {
    expect(loadConfig({})).toMatchObject({
      PORT: 3000,
      HOST: '127.0.0.1',
      REDIS_URL: 'redis://127.0.0.1:6379',
      KAFKA_BROKERS: ['127.0.0.1:9092'],
      KAFKA_TOPIC: 'firstcome.claims',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/firstcome',
      AUTH_MODE: 'jwt',
      USER_ID_HEADER: 'x-user-id',
    });
  });

  it('says one line per bad variable, naming it', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      AUTH_MODE: 'magic',
      KAFKA_BROKERS: 'a:1,,b',
      DATABASE_URL: 'mysql//x',
    });
    expect(problems).toHaveLength(4);
    expect(problems.map((line) => line.split(':')[0]).sort()).toEqual([
      'AUTH_MODE',
      'DATABASE_URL',
      'KAFKA_BROKERS',
      'PORT',
    ]);
  });

  it('refuses both JWT_SECRET and JWT_JWKS_URL', () => {
    expect(problemsOf({ JWT_SECRET: 's'.repeat(32), JWT_JWKS_URL: 'https://id.example/jwks' })).toEqual([
      'JWT_SECRET: set JWT_SECRET or JWT_JWKS_URL, not both',
    ]);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '' }).PORT).toBe(3000);
  });
});
