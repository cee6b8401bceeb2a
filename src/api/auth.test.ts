import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { type AuthOptions, type AuthRequest, createAuth } from './auth.ts';

const jwtSecret = 'a-unit-test-secret-that-is-long-enough';
const proxySecret = 'a-proxy-secret-0123456789';
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A request as Node hands it over: the parsed headers, the raw name/value list, the peer's address. */
function requestOf(rawHeaders: string[], remoteAddress = '127.0.0.1'): AuthRequest {
  const headers: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    headers[name] = name in headers ? `${headers[name]}, ${rawHeaders[i + 1]!}` : rawHeaders[i + 1]!;
  }
  return { headers, raw: { rawHeaders }, socket: { remoteAddress } };
}

const headerAuth = (options: Partial<AuthOptions> = {}) =>
  createAuth({ mode: 'trusted-header', userIdHeader: 'x-user-id', ...options });

const jwtAuth = (options: Partial<AuthOptions> = {}) =>
  createAuth({ mode: 'jwt', userIdHeader: 'x-user-id', jwtSecret, ...options });

interface Claims {
  sub?: string;
  iat?: number;
  exp?: number;
  aud?: string;
  iss?: string;
}

const tokenOf = ({ sub = 'bob', iat = nowSeconds(), exp = nowSeconds() + 300, ...rest }: Claims = {}) =>
  new SignJWT({ sub, iat, exp, ...rest })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(jwtSecret));

const bearer = async (claims: Claims | string) =>
  requestOf(['Authorization', `Bearer ${typeof claims === 'string' ? claims : await tokenOf(claims)}`]);

const unauthenticated = { code: 'UNAUTHENTICATED' };
const invalidRequest = (field: string) => ({ code: 'INVALID_REQUEST', message: expect.stringMatching(`^${field}: `) });

describe('userOf with AUTH_MODE=jwt', () => {
  it('takes the sub of a token that has an exp and lives no longer than allowed', async () => {
    await expect(jwtAuth().userOf(await bearer({ sub: 'bob' }))).resolves.toBe('bob');
  });

  it('refuses a token without exp, however well signed', async () => {
    const noExp = await new SignJWT({ sub: 'bob' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .sign(new TextEncoder().encode(jwtSecret));
    await expect(jwtAuth().userOf(await bearer(noExp))).rejects.toMatchObject({
      ...unauthenticated,
      message: expect.stringContaining('"exp"'),
    });
  });

  it('refuses a token whose exp − iat exceeds the maximum lifetime', async () => {
    const iat = nowSeconds() - 10;
    const auth = jwtAuth({ maxLifetimeSeconds: 3600 });
    await expect(auth.userOf(await bearer({ iat, exp: iat + 3600 }))).resolves.toBe('bob');
    await expect(auth.userOf(await bearer({ iat, exp: iat + 3601 }))).rejects.toMatchObject({
      ...unauthenticated,
      message: expect.stringContaining('longer than 3600 seconds'),
    });
  });

  it('measures a token without iat from now', async () => {
    const auth = jwtAuth({ maxLifetimeSeconds: 3600 });
    const noIat = (exp: number) =>
      new SignJWT({ sub: 'bob', exp }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(jwtSecret));
    await expect(auth.userOf(await bearer(await noIat(nowSeconds() + 600)))).resolves.toBe('bob');
    await expect(auth.userOf(await bearer(await noIat(nowSeconds() + 7200)))).rejects.toMatchObject(unauthenticated);
  });

  it('does not let an iat in the future stretch the lifetime', async () => {
    const iat = nowSeconds() + 30 * 86_400;
    await expect(
      jwtAuth({ maxLifetimeSeconds: 3600 }).userOf(await bearer({ iat, exp: iat + 60 })),
    ).rejects.toMatchObject(unauthenticated);
  });

  it('defaults the maximum lifetime to one day', async () => {
    const iat = nowSeconds();
    await expect(jwtAuth().userOf(await bearer({ iat, exp: iat + 86_400 }))).resolves.toBe('bob');
    await expect(jwtAuth().userOf(await bearer({ iat, exp: iat + 86_401 }))).rejects.toMatchObject(unauthenticated);
  });

  it('accepts only the configured audience, and refuses a token without aud when one is configured', async () => {
    const auth = jwtAuth({ audience: 'firstcome' });
    await expect(auth.userOf(await bearer({ aud: 'firstcome' }))).resolves.toBe('bob');
    await expect(auth.userOf(await bearer({ aud: 'another-service' }))).rejects.toMatchObject(unauthenticated);
    await expect(auth.userOf(await bearer({}))).rejects.toMatchObject(unauthenticated);
  });

  it('accepts only the configured issuer, and refuses a token without iss when one is configured', async () => {
    const auth = jwtAuth({ issuer: 'https://id.example' });
    await expect(auth.userOf(await bearer({ iss: 'https://id.example' }))).resolves.toBe('bob');
    await expect(auth.userOf(await bearer({ iss: 'https://evil.example' }))).rejects.toMatchObject(unauthenticated);
    await expect(auth.userOf(await bearer({}))).rejects.toMatchObject(unauthenticated);
  });

  it.each([
    ['NUL', '\u0000'],
    ['a newline', '\n'],
    ['U+001F', '\u001f'],
    ['DEL', '\u007f'],
    ['U+0080', '\u0080'],
    ['NEL (U+0085)', '\u0085'],
    ['U+009F', '\u009f'],
  ])('refuses a sub with %s as 400 naming sub', async (_label, character) => {
    await expect(jwtAuth().userOf(await bearer({ sub: `bob${character}x` }))).rejects.toMatchObject(
      invalidRequest('sub'),
    );
  });

  it('refuses a sub with a lone surrogate (it has no UTF-8 form) as 400 naming sub', async () => {
    await expect(jwtAuth().userOf(await bearer({ sub: 'bob\ud800' }))).rejects.toMatchObject(invalidRequest('sub'));
  });

  it('keeps user ids with other Unicode, such as accents and emoji', async () => {
    await expect(jwtAuth().userOf(await bearer({ sub: 'zoë-🎟' }))).resolves.toBe('zoë-🎟');
  });
});

describe('userOf with AUTH_MODE=trusted-header', () => {
  it('takes the header from a loopback peer by default, IPv4, IPv6 and IPv4-mapped IPv6 alike', async () => {
    for (const peer of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) {
      await expect(headerAuth().userOf(requestOf(['X-User-Id', 'alice'], peer))).resolves.toBe('alice');
    }
  });

  it('refuses the header from a peer outside TRUSTED_PROXIES with 401', async () => {
    for (const peer of ['10.0.0.5', '::ffff:10.0.0.5', '2001:db8::1']) {
      await expect(headerAuth().userOf(requestOf(['x-user-id', 'alice'], peer))).rejects.toMatchObject(unauthenticated);
    }
    const closedSocket = { ...requestOf(['x-user-id', 'alice']), socket: { remoteAddress: undefined } };
    await expect(headerAuth().userOf(closedSocket)).rejects.toMatchObject(unauthenticated);
  });

  it('takes the header from configured addresses and CIDRs only', async () => {
    const auth = headerAuth({ trustedProxies: ['10.0.0.0/8', 'fd00::/8', '192.168.1.7'] });
    for (const peer of ['10.1.2.3', '::ffff:10.1.2.3', 'fd00::42', '192.168.1.7']) {
      await expect(auth.userOf(requestOf(['x-user-id', 'alice'], peer))).resolves.toBe('alice');
    }
    for (const peer of ['11.0.0.1', '192.168.1.8', 'fe80::1', '127.0.0.1', '::1']) {
      await expect(auth.userOf(requestOf(['x-user-id', 'alice'], peer))).rejects.toMatchObject(unauthenticated);
    }
  });

  it('with a proxy secret, takes the header only beside a matching X-Proxy-Secret, from any peer', async () => {
    const auth = headerAuth({ proxySecret });
    await expect(
      auth.userOf(requestOf(['x-user-id', 'alice', 'X-Proxy-Secret', proxySecret], '203.0.113.9')),
    ).resolves.toBe('alice');
    for (const headers of [
      ['x-user-id', 'alice'],
      ['x-user-id', 'alice', 'x-proxy-secret', `${proxySecret}x`],
      ['x-user-id', 'alice', 'x-proxy-secret', proxySecret, 'x-proxy-secret', proxySecret],
    ]) {
      await expect(auth.userOf(requestOf(headers, '127.0.0.1'))).rejects.toMatchObject(unauthenticated);
    }
  });

  it('refuses the identity header sent twice with 400, whatever the case of its name', async () => {
    for (const headers of [
      ['x-user-id', 'alice', 'x-user-id', 'mallory'],
      ['X-User-Id', 'alice', 'x-user-id', 'alice'],
    ]) {
      await expect(headerAuth().userOf(requestOf(headers))).rejects.toMatchObject(invalidRequest('x-user-id'));
    }
  });

  it('refuses the identity header sent twice among names of its length; an empty one names no user', async () => {
    const twice = ['x-trace-1', 'a', 'X-USER-ID', 'alice', 'x-trace-2', 'b', 'x-user-id', 'mallory'];
    await expect(headerAuth().userOf(requestOf(twice))).rejects.toMatchObject(invalidRequest('x-user-id'));
    await expect(headerAuth().userOf(requestOf(['x-user-ix', 'alice', 'x-user-id', 'bob']))).resolves.toBe('bob');
    await expect(headerAuth().userOf(requestOf(['x-user-id', '']))).rejects.toMatchObject(unauthenticated);
  });

  it('judges a connection once, by its peer, and every request on it alike', async () => {
    const auth = headerAuth();
    const socket = { remoteAddress: '10.0.0.5' as string | undefined };
    const onSocket = (userId: string) => ({ ...requestOf(['x-user-id', userId]), socket });
    await expect(auth.userOf(onSocket('alice'))).rejects.toMatchObject(unauthenticated);
    await expect(auth.userOf(onSocket('bob'))).rejects.toMatchObject(unauthenticated);
    // A socket seen without an address (closed) is refused, and decides nothing for the next look.
    const closing = { remoteAddress: undefined as string | undefined };
    await expect(auth.userOf({ ...requestOf(['x-user-id', 'alice']), socket: closing })).rejects.toMatchObject(
      unauthenticated,
    );
    closing.remoteAddress = '127.0.0.1';
    await expect(auth.userOf({ ...requestOf(['x-user-id', 'alice']), socket: closing })).resolves.toBe('alice');
  });

  it('refuses a header user id with a control character as 400 naming the header', async () => {
    for (const userId of ['al\tice', 'al\u0085ice', 'al\u007fice']) {
      await expect(headerAuth().userOf(requestOf(['x-user-id', userId]))).rejects.toMatchObject(
        invalidRequest('x-user-id'),
      );
    }
  });

  it('answers 401 when the trusted peer names no user', async () => {
    await expect(headerAuth().userOf(requestOf([]))).rejects.toMatchObject(unauthenticated);
  });
});
