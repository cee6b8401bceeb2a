import { createPrivateKey } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { generateAdmissionKey } from '../admission-keys.ts';
import { AppError } from '../errors.ts';
import { createAdmissionTokens, jtiOf } from './admission-tokens.ts';

const key = generateAdmissionKey();
const tokens = createAdmissionTokens([key]);
const nowMs = Date.now();
const turn = {
  eventId: 'drop-1',
  userId: 'ann',
  jti: jtiOf('drop-1', 'ann', 'seed'),
  notBeforeMs: nowMs - 1000,
  expiresAtMs: nowMs + 300_000,
};

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** What verify says of a token: its claims, or the refusal's code and message. */
const verdictOf = (verifier: typeof tokens, token: string) =>
  verifier.verify(token).catch((error: unknown) => {
    if (error instanceof AppError) return { code: error.code, message: error.message };
    throw error;
  });

const refused = (message: string) => ({ code: 'UNAUTHENTICATED', message: expect.stringContaining(message) });

describe('admission tokens', () => {
  it('verify gives back the event, user and jti that sign put in', async () => {
    const token = await tokens.sign(turn);
    await expect(tokens.verify(token)).resolves.toEqual({ eventId: 'drop-1', userId: 'ann', jti: turn.jti });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', kid: key.kid, typ: 'JWT' });
    expect(decodeJwt(token)).toEqual({
      iss: 'firstcome',
      aud: 'drop-1',
      sub: 'ann',
      jti: turn.jti,
      nbf: Math.floor(turn.notBeforeMs / 1000),
      exp: Math.floor(turn.expiresAtMs / 1000),
      iat: expect.any(Number),
    });
  });

  it('refuses a token signed by a key it does not have, under its own kid (forged)', async () => {
    const forger = createAdmissionTokens([{ ...generateAdmissionKey(), kid: key.kid }]);
    expect(await verdictOf(tokens, await forger.sign(turn))).toEqual(refused('a signature that does not verify'));
  });

  it('refuses a token whose payload was changed after signing', async () => {
    const [header, , signature] = (await tokens.sign(turn)).split('.');
    const tampered = `${header}.${b64({ ...decodeJwt(await tokens.sign(turn)), sub: 'mallory' })}.${signature}`;
    expect(await verdictOf(tokens, tampered)).toEqual(refused('a signature that does not verify'));
  });

  it('refuses an expired token and one not valid yet', async () => {
    const expired = await tokens.sign({ ...turn, notBeforeMs: nowMs - 600_000, expiresAtMs: nowMs - 300_000 });
    expect(await verdictOf(tokens, expired)).toEqual(refused('has expired'));
    const early = await tokens.sign({ ...turn, notBeforeMs: nowMs + 60_000, expiresAtMs: nowMs + 360_000 });
    expect(await verdictOf(tokens, early)).toEqual(refused('is not valid yet'));
  });

  it('refuses a token naming an unknown kid, or none', async () => {
    const stranger = createAdmissionTokens([generateAdmissionKey()]);
    expect(await verdictOf(tokens, await stranger.sign(turn))).toEqual(
      refused('a key (kid) this service does not have'),
    );
    const [, payload, signature] = (await tokens.sign(turn)).split('.');
    const withoutKid = `${b64({ alg: 'ES256' })}.${payload}.${signature}`;
    expect(await verdictOf(tokens, withoutKid)).toEqual(refused('names no key (kid)'));
  });

  it('refuses alg none and HS256, even under its own kid', async () => {
    const [, payload] = (await tokens.sign(turn)).split('.');
    const unsigned = `${b64({ alg: 'none', kid: key.kid })}.${payload}.`;
    expect(await verdictOf(tokens, unsigned)).toEqual(refused('must be signed with ES256'));
    // The HS256 confusion: the public x used as an HMAC secret.
    const hs256 = await new SignJWT(decodeJwt(await tokens.sign(turn)))
      .setProtectedHeader({ alg: 'HS256', kid: key.kid })
      .sign(new TextEncoder().encode(key.x));
    expect(await verdictOf(tokens, hs256)).toEqual(refused('must be signed with ES256'));
  });

  it('refuses what is no JWT, and a JWT of another issuer or without a jti', async () => {
    for (const garbage of ['', 'abc', 'a.b.c', `${b64({ alg: 'ES256', kid: key.kid })}.e30`]) {
      expect(await verdictOf(tokens, garbage), garbage).toEqual(refused('is not a well-formed JWT'));
    }
    const privateKey = createPrivateKey({ key: { ...key }, format: 'jwk' });
    const foreign = (claims: object, issuer: string) =>
      new SignJWT({ ...claims })
        .setProtectedHeader({ alg: 'ES256', kid: key.kid })
        .setIssuer(issuer)
        .setAudience('drop-1')
        .setSubject('ann')
        .setNotBefore('-1m')
        .setExpirationTime('5m')
        .sign(privateKey);
    expect(await verdictOf(tokens, await foreign({ jti: 'x' }, 'someone-else'))).toEqual(refused('"iss" claim'));
    expect(await verdictOf(tokens, await foreign({}, 'firstcome'))).toEqual(refused('"jti" claim'));
  });

  it('rotates: new tokens are signed by the first key, tokens of the second still verify', async () => {
    const next = generateAdmissionKey();
    const rotated = createAdmissionTokens([next, key]);
    const old = await tokens.sign(turn);
    await expect(rotated.verify(old)).resolves.toMatchObject({ userId: 'ann' });
    const fresh = await rotated.sign(turn);
    expect(decodeProtectedHeader(fresh).kid).toBe(next.kid);
    await expect(rotated.verify(fresh)).resolves.toMatchObject({ userId: 'ann' });
    // Once the old key is dropped, its tokens stop verifying.
    const dropped = createAdmissionTokens([next]);
    expect(await verdictOf(dropped, old)).toEqual(refused('a key (kid) this service does not have'));
  });

  it('publishes the public half of every key, which verifies its tokens with jose alone', async () => {
    const next = generateAdmissionKey();
    const rotated = createAdmissionTokens([next, key]);
    const jwks = rotated.jwks();
    expect(jwks.keys).toEqual(
      [next, key].map(({ kid, x, y }) => ({ kty: 'EC', crv: 'P-256', x, y, kid, alg: 'ES256', use: 'sig' })),
    );
    expect(JSON.stringify(jwks)).not.toMatch(/"d"/);
    const keySet = createLocalJWKSet(jwks);
    for (const token of [await rotated.sign(turn), await tokens.sign(turn)]) {
      const { payload } = await jwtVerify(token, keySet, { issuer: 'firstcome', audience: 'drop-1' });
      expect(payload.sub).toBe('ann');
    }
  });

  it('without keys, signs and verifies nothing and says the service is unavailable (503), not the token bad', async () => {
    const unconfigured = createAdmissionTokens([]);
    expect(unconfigured.jwks()).toEqual({ keys: [] });
    await expect(unconfigured.sign(turn)).rejects.toMatchObject({ code: 'AUTH_UNAVAILABLE' });
    expect(await verdictOf(unconfigured, await tokens.sign(turn))).toMatchObject({ code: 'AUTH_UNAVAILABLE' });
  });
});

describe('jtiOf', () => {
  it('is the same for the same user, event and seed, and differs when any of them does', () => {
    const jti = jtiOf('drop-1', 'ann', 'seed');
    expect(jti).toMatch(/^[\w-]{22}$/);
    expect(jtiOf('drop-1', 'ann', 'seed')).toBe(jti);
    const others = [jtiOf('drop-2', 'ann', 'seed'), jtiOf('drop-1', 'bob', 'seed'), jtiOf('drop-1', 'ann', 'other')];
    expect(new Set([jti, ...others]).size).toBe(4);
    // The separator keeps ids from running into each other.
    expect(jtiOf('a', 'bc', 's')).not.toBe(jtiOf('ab', 'c', 's'));
  });
});
