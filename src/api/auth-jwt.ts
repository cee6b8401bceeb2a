import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from 'jose';
import { AppError } from '../errors.ts';

export interface JwtOptions {
  /** HS256 secret; set this or `jwksUrl`. */
  jwtSecret?: string | undefined;
  /** JWKS URL for RS256/ES256 keys. */
  jwksUrl?: string | undefined;
  /** When set, a token's `iss` must be this. */
  issuer?: string | undefined;
  /** When set, a token's `aud` must name this. */
  audience?: string | undefined;
  /**
   * The longest a token may live: exp − iat, or exp − now for a token without iat (whichever is longer).
   * @defaultValue 86400
   */
  maxLifetimeSeconds?: number | undefined;
  /** How long a JWKS fetch may take, in ms. @defaultValue 5000 (jose's) */
  jwksTimeoutMs?: number | undefined;
  /** How long after a fetch an unknown `kid` is refused without fetching again, in ms. @defaultValue 30000 */
  jwksCooldownMs?: number | undefined;
  /** How long a fetched key set is used before it is fetched again, in ms. @defaultValue 600000 */
  jwksCacheMaxAgeMs?: number | undefined;
}

/** A token's verdict: its payload, or why it is refused. */
export type TokenCheck = { ok: true; payload: JWTPayload } | { ok: false; reason?: string };

export const defaultMaxLifetimeSeconds = 86_400;

/** The key set's host is down, slow, or answered something that is no key set: no fault of the token. */
class KeySetUnavailable extends Error {
  override readonly name = 'KeySetUnavailable';
}

// What a key set says about the token itself: no key for its kid/alg, or no single one.
const isTokenProblem = (error: unknown) =>
  error instanceof errors.JWKSNoMatchingKey ||
  error instanceof errors.JWKSMultipleMatchingKeys ||
  error instanceof errors.JOSENotSupported;

/**
 * The remote key set, with the difference between "this token is bad" and "the key set is unreachable"
 * kept: while the host fails, keys fetched before still verify the tokens they signed.
 */
function remoteKeysOf(url: string, options: JwtOptions): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(new URL(url), {
    ...(options.jwksTimeoutMs === undefined ? {} : { timeoutDuration: options.jwksTimeoutMs }),
    ...(options.jwksCooldownMs === undefined ? {} : { cooldownDuration: options.jwksCooldownMs }),
    ...(options.jwksCacheMaxAgeMs === undefined ? {} : { cacheMaxAge: options.jwksCacheMaxAgeMs }),
  });
  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      if (isTokenProblem(error)) throw error;
      const cached = remote.jwks();
      const key = cached && (await createLocalJWKSet(cached)(header, token).catch(() => undefined));
      if (key) return key;
      throw new KeySetUnavailable(`the key set at ${url} could not be fetched`, { cause: error });
    }
  };
}

// Claim failures name the claim ("exp" claim timestamp check failed); other failures say nothing useful.
const reasonOf = (error: unknown) =>
  error instanceof errors.JWTClaimValidationFailed || error instanceof errors.JWTExpired ? error.message : undefined;

/**
 * Verifies bearer tokens: signature, `exp` (required), the configured `iss`/`aud`, and the maximum
 * lifetime. Undefined when neither a secret nor a JWKS URL is configured (every token is then refused).
 * Throws AUTH_UNAVAILABLE when the key set cannot be fetched and no cached key fits the token.
 */
export function createTokenVerifier(options: JwtOptions): ((token: string) => Promise<TokenCheck>) | undefined {
  const key: Uint8Array | JWTVerifyGetKey | undefined = options.jwtSecret
    ? new TextEncoder().encode(options.jwtSecret)
    : options.jwksUrl
      ? remoteKeysOf(options.jwksUrl, options)
      : undefined;
  if (!key) return undefined;
  const verifyOptions: JWTVerifyOptions = {
    algorithms: options.jwtSecret ? ['HS256'] : ['RS256', 'ES256'],
    // A token without exp would be good forever once leaked.
    requiredClaims: ['exp'],
    ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
    ...(options.audience === undefined ? {} : { audience: options.audience }),
  };
  const maxLifetimeSeconds = options.maxLifetimeSeconds ?? defaultMaxLifetimeSeconds;

  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await (typeof key === 'function'
        ? jwtVerify(token, key, verifyOptions)
        : jwtVerify(token, key, verifyOptions)));
    } catch (error) {
      if (error instanceof KeySetUnavailable) {
        throw new AppError('AUTH_UNAVAILABLE', `${error.message}; is the identity provider up?`, {
          cause: error,
          retryable: true,
        });
      }
      const reason = reasonOf(error);
      return reason === undefined ? { ok: false } : { ok: false, reason };
    }
    const nowSeconds = Math.floor(Date.now() / 1000);
    // An iat in the future must not stretch the lifetime, so the earlier of iat and now counts.
    const from = Math.min(typeof payload.iat === 'number' ? payload.iat : nowSeconds, nowSeconds);
    if ((payload.exp ?? Infinity) - from > maxLifetimeSeconds) {
      return { ok: false, reason: `it lives longer than ${maxLifetimeSeconds} seconds` };
    }
    return { ok: true, payload };
  };
}
