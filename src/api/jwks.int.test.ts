import { createLocalJWKSet, createRemoteJWKSet, jwtVerify } from 'jose';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from '../../test/fixtures/app.ts';
import { useDatabase, useRedis } from '../../test/fixtures/datastores.ts';
import { generateAdmissionKey } from '../admission-keys.ts';
import { createAdmissionTokens, jtiOf } from './admission-tokens.ts';

const nowMs = Date.now();
const turnOf = (userId: string) => ({
  eventId: 'drop-1',
  userId,
  jti: jtiOf('drop-1', userId, 'seed'),
  notBeforeMs: nowMs - 1000,
  expiresAtMs: nowMs + 300_000,
});

describe('GET /.well-known/jwks.json', () => {
  const t = useDatabase();
  const r = useRedis();
  // A rotation in progress: the new key signs, the old one still verifies what it signed.
  const [next, previous] = [generateAdmissionKey(), generateAdmissionKey()];
  const admissionTokens = createAdmissionTokens([next, previous]);
  let app: FastifyInstance;

  beforeAll(() => {
    app = buildTestApp(t.store, r.gate, { admissionTokens });
  });
  afterAll(async () => app.close());

  it('publishes the public half of every key, cacheable for 5 minutes', async () => {
    const response = await app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.headers['cache-control']).toBe('public, max-age=300');
    expect(response.json()).toEqual({
      keys: [next, previous].map(({ kid, x, y }) => ({ kty: 'EC', crv: 'P-256', x, y, kid, alg: 'ES256', use: 'sig' })),
    });
    expect(response.body).not.toContain('"d"');
  });

  it('verifies tokens of both keys with jose alone, from the answer and over HTTP', async () => {
    const oldToken = await createAdmissionTokens([previous]).sign(turnOf('ann'));
    const newToken = await admissionTokens.sign(turnOf('bob'));
    const local = createLocalJWKSet((await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json());
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const remote = createRemoteJWKSet(new URL('/.well-known/jwks.json', address));
    for (const keySet of [local, remote]) {
      const subjects = [];
      for (const token of [oldToken, newToken]) {
        const { payload } = await jwtVerify(token, keySet, { issuer: 'firstcome', audience: 'drop-1' });
        subjects.push(payload.sub);
      }
      expect(subjects).toEqual(['ann', 'bob']);
    }
  });

  it('is an empty set where no keys are configured', async () => {
    const unconfigured = buildTestApp(t.store, r.gate, { admissionTokens: createAdmissionTokens([]) });
    try {
      const response = await unconfigured.inject({ method: 'GET', url: '/.well-known/jwks.json' });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ keys: [] });
    } finally {
      await unconfigured.close();
    }
  });
});
