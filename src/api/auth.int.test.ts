import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, freePort } from '../../test/fixtures/basics.ts';
import { buildTestApp } from '../../test/fixtures/app.ts';
import { useDatabase, unreachableGate, useRedis } from '../../test/fixtures/datastores.ts';
import { createStore } from '../store/store.ts';
import type { AuthOptions } from './auth.ts';

const admin = { authorization: `Bearer ${adminToken}` };
const proxySecret = 'the-gateway-secret-0123456789';
const jwtSecret = 'an-int-test-secret-that-is-long-enough';

/** A JWKS served over http on 127.0.0.1, as an identity provider would, that can misbehave or stop. */
async function serveJwks(keys: JWK[]) {
  let behaviour: 'keys' | 'garbage' | 'error' | 'silence' = 'keys';
  const silenced: ServerResponse[] = [];
  const server = createServer((_request, response) => {
    switch (behaviour) {
      case 'silence':
        silenced.push(response);
        return;
      case 'garbage':
        response.writeHead(200, { 'content-type': 'text/html' }).end('<h1>Maintenance</h1>');
        return;
      case 'error':
        response.writeHead(500).end();
        return;
      case 'keys':
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const stop = async () => {
    if (!server.listening) return;
    const closed = new Promise((resolve) => server.close(resolve));
    for (const response of silenced) response.destroy();
    server.closeAllConnections();
    await closed;
  };
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    behave: (next: typeof behaviour) => (behaviour = next),
    stop,
  };
}

interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(kid: string, alg: SigningKey['alg']): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

const tokenFor = (sub: string, key: SigningKey, kid = key.kid) =>
  new SignJWT({})
    .setProtectedHeader({ alg: key.alg, kid })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key.privateKey);

describe('identity at the door', () => {
  const t = useDatabase();
  const r = useRedis();
  let app: FastifyInstance;
  const apps: FastifyInstance[] = [];
  const appWith = (auth: Partial<AuthOptions>) => {
    const built = buildTestApp(t.store, r.gate, {}, auth);
    apps.push(built);
    return built;
  };

  beforeAll(() => {
    app = appWith({});
  });
  afterAll(async () => {
    for (const built of apps) await built.close();
  });

  async function createEvent() {
    const id = r.eventId();
    const response = await app.inject({
      method: 'POST',
      url: '/admin/events',
      headers: admin,
      payload: { id, name: 'Drop', stock: 10, perUserLimit: 3 },
    });
    expect(response.statusCode).toBe(201);
    return id;
  }

  const admittedOf = async (id: string) =>
    (await app.inject({ method: 'GET', url: `/admin/events/${id}`, headers: admin })).json<{ admitted: number }>()
      .admitted;

  const answerOf = (response: { statusCode: number; json: <T>() => T }) => [
    response.statusCode,
    response.json<{ error?: string; userId?: string }>().error ?? response.json<{ userId?: string }>().userId,
  ];

  describe('with AUTH_MODE=trusted-header', () => {
    const claimFrom = (
      target: FastifyInstance,
      id: string,
      remoteAddress: string,
      headers: Record<string, string | string[]>,
    ) => target.inject({ method: 'POST', url: `/events/${id}/claims`, remoteAddress, headers });

    it('answers 401 to a claim from a peer outside TRUSTED_PROXIES, admitting nothing', async () => {
      const id = await createEvent();
      expect(answerOf(await claimFrom(app, id, '203.0.113.9', { 'x-user-id': 'alice' }))).toEqual([
        401,
        'unauthenticated',
      ]);
      expect(answerOf(await claimFrom(app, id, '::ffff:127.0.0.1', { 'x-user-id': 'alice' }))).toEqual([202, 'alice']);
      expect(await admittedOf(id)).toBe(1);
    });

    it('answers 400 to an identity header sent twice, admitting nothing', async () => {
      const id = await createEvent();
      const twice = await claimFrom(app, id, '127.0.0.1', { 'x-user-id': ['alice', 'mallory'] });
      expect(answerOf(twice)).toEqual([400, 'invalid_request']);
      expect(twice.json<{ message: string }>().message).toContain('x-user-id');
      expect(await admittedOf(id)).toBe(0);
    });

    it('answers 400 naming the header to a user id with a control character, admitting nothing', async () => {
      const id = await createEvent();
      const response = await claimFrom(app, id, '127.0.0.1', { 'x-user-id': 'al\u0085ice' });
      expect(answerOf(response)).toEqual([400, 'invalid_request']);
      expect(response.json<{ message: string }>().message).toMatch(/^x-user-id: /);
      expect(await admittedOf(id)).toBe(0);
    });

    it('with TRUSTED_PROXY_SECRET, believes the header only beside the secret', async () => {
      const guarded = appWith({ proxySecret });
      const id = await createEvent();
      expect(answerOf(await claimFrom(guarded, id, '127.0.0.1', { 'x-user-id': 'alice' }))).toEqual([
        401,
        'unauthenticated',
      ]);
      expect(
        answerOf(
          await claimFrom(guarded, id, '127.0.0.1', { 'x-user-id': 'alice', 'x-proxy-secret': 'a-guess-0123456789' }),
        ),
      ).toEqual([401, 'unauthenticated']);
      expect(
        answerOf(await claimFrom(guarded, id, '198.51.100.4', { 'x-user-id': 'alice', 'x-proxy-secret': proxySecret })),
      ).toEqual([202, 'alice']);
      expect(await admittedOf(id)).toBe(1);
    });
  });

  describe('with an event id that cannot exist', () => {
    let cutOff: FastifyInstance;
    let closeDeps: () => Promise<void>;

    // Redis and PostgreSQL that do not answer: a route that asks either one answers 503, not 404.
    beforeAll(async () => {
      const store = createStore({ url: `postgres://postgres@127.0.0.1:${await freePort()}/none`, poolSize: 1 });
      const gate = await unreachableGate();
      cutOff = buildTestApp(store, gate);
      closeDeps = async () => {
        await store.destroy();
        await gate.close().catch(() => undefined);
      };
    });
    afterAll(async () => {
      await cutOff.close();
      await closeDeps();
    });

    it.each([
      ['a space', 'has%20space'],
      ['65 characters', 'e'.repeat(65)],
      ['braces (a Redis cluster hash tag)', '%7Bev%7D'],
      ['a non-ASCII letter', 'caf%C3%A9'],
      ['a control character', 'ev%01'],
      ['more characters than the router takes in a path parameter', 'e'.repeat(101)],
    ])('answers 404 event_not_found for an id with %s without asking Redis or PostgreSQL', async (_label, id) => {
      for (const [method, url] of [
        ['POST', `/events/${id}/claims`],
        ['GET', `/events/${id}`],
        ['GET', `/events/${id}/claims/me`],
      ] as const) {
        const response = await cutOff.inject({ method, url, headers: { 'x-user-id': 'alice' } });
        expect([url, ...answerOf(response)]).toEqual([url, 404, 'event_not_found']);
      }
    });
  });

  describe('with AUTH_MODE=jwt', () => {
    it('answers 400 naming sub to a token whose sub holds a control character, admitting nothing', async () => {
      const hs = appWith({ mode: 'jwt', jwtSecret });
      const id = await createEvent();
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('bob\u0000')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(jwtSecret));
      const response = await hs.inject({
        method: 'POST',
        url: `/events/${id}/claims`,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(answerOf(response)).toEqual([400, 'invalid_request']);
      expect(response.json<{ message: string }>().message).toMatch(/^sub: /);
      expect(await admittedOf(id)).toBe(0);
    });
  });

  describe('with AUTH_MODE=jwt and JWT_JWKS_URL', () => {
    let rsa: SigningKey;
    let ec: SigningKey;
    let stranger: SigningKey;
    beforeAll(async () => {
      [rsa, ec, stranger] = await Promise.all([
        signingKey('rsa-1', 'RS256'),
        signingKey('ec-1', 'ES256'),
        signingKey('stranger', 'RS256'),
      ]);
    });

    const claimWith = (target: FastifyInstance, id: string, token: string) =>
      target.inject({ method: 'POST', url: `/events/${id}/claims`, headers: { authorization: `Bearer ${token}` } });

    it('takes the sub of RS256 and ES256 tokens signed by keys the JWKS publishes', async () => {
      const jwks = await serveJwks([rsa.jwk, ec.jwk]);
      try {
        const jwksApp = appWith({ mode: 'jwt', jwksUrl: jwks.url });
        const id = await createEvent();
        expect(answerOf(await claimWith(jwksApp, id, await tokenFor('rachel', rsa)))).toEqual([202, 'rachel']);
        expect(answerOf(await claimWith(jwksApp, id, await tokenFor('eric', ec)))).toEqual([202, 'eric']);
      } finally {
        await jwks.stop();
      }
    });

    it('answers 401 to a token signed by a key the JWKS does not publish, admitting nothing', async () => {
      const jwks = await serveJwks([rsa.jwk, ec.jwk]);
      try {
        const jwksApp = appWith({ mode: 'jwt', jwksUrl: jwks.url });
        const id = await createEvent();
        const hs256 = await new SignJWT({})
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject('mallory')
          .setExpirationTime('5m')
          .sign(new TextEncoder().encode(jwtSecret));
        for (const token of [
          await tokenFor('mallory', stranger),
          await tokenFor('mallory', stranger, rsa.kid),
          hs256,
        ]) {
          expect(answerOf(await claimWith(jwksApp, id, token))).toEqual([401, 'unauthenticated']);
        }
        expect(await admittedOf(id)).toBe(0);
      } finally {
        await jwks.stop();
      }
    });

    it('answers 503 when the JWKS host is down before any key was fetched, admitting nothing', async () => {
      const jwks = await serveJwks([rsa.jwk]);
      const jwksApp = appWith({ mode: 'jwt', jwksUrl: jwks.url });
      await jwks.stop();
      const id = await createEvent();
      const response = await claimWith(jwksApp, id, await tokenFor('rachel', rsa));
      expect(response.statusCode).toBe(503);
      expect(response.json()).toEqual({ error: 'unavailable', message: expect.any(String) });
      expect(await admittedOf(id)).toBe(0);
    });

    it('keeps verifying with cached keys while the JWKS host is down, and answers 503 for a kid not cached', async () => {
      const jwks = await serveJwks([rsa.jwk]);
      // No cooldown and no cache age: every token makes it ask the host again, as after those periods.
      const jwksApp = appWith({ mode: 'jwt', jwksUrl: jwks.url, jwksCooldownMs: 0, jwksCacheMaxAgeMs: 0 });
      const id = await createEvent();
      expect(answerOf(await claimWith(jwksApp, id, await tokenFor('rachel', rsa)))).toEqual([202, 'rachel']);
      await jwks.stop();
      expect(answerOf(await claimWith(jwksApp, id, await tokenFor('rita', rsa)))).toEqual([202, 'rita']);
      expect(answerOf(await claimWith(jwksApp, id, await tokenFor('eric', ec)))).toEqual([503, 'unavailable']);
      expect(await admittedOf(id)).toBe(2);
    });

    it.each([
      ['answers garbage', 'garbage'],
      ['answers 500', 'error'],
      ['never answers', 'silence'],
    ] as const)('answers 503 when the JWKS host %s and no cached key fits', async (_label, behaviour) => {
      const jwks = await serveJwks([rsa.jwk]);
      try {
        jwks.behave(behaviour);
        const jwksApp = appWith({ mode: 'jwt', jwksUrl: jwks.url, jwksTimeoutMs: 200 });
        const id = await createEvent();
        expect(answerOf(await claimWith(jwksApp, id, await tokenFor('rachel', rsa)))).toEqual([503, 'unavailable']);
        expect(await admittedOf(id)).toBe(0);
      } finally {
        await jwks.stop();
      }
    });
  });
});
