import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { errors, jwtVerify, SignJWT, type JWSHeaderParameters } from 'jose';
import type { AdmissionKey } from '../admission-keys.ts';
import { AppError } from '../errors.ts';

/** A public verification key as the JWKS publishes it: no private part. */
export interface PublicAdmissionKey {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  alg: 'ES256';
  use: 'sig';
}

/** What an admission token says once it verifies: the event (aud) and user (sub) whose turn it is. */
export interface AdmissionClaims {
  eventId: string;
  userId: string;
  jti: string;
}

export interface AdmissionTokens {
  /** A token good from `notBeforeMs` until `expiresAtMs` (both rounded down to whole seconds, as JWTs count). */
  sign(claims: AdmissionClaims & { notBeforeMs: number; expiresAtMs: number }): Promise<string>;
  /** The token's claims; AppError UNAUTHENTICATED when it is forged, expired, not yet valid or malformed. */
  verify(token: string): Promise<AdmissionClaims>;
  /** The public keys, for `GET /.well-known/jwks.json`. */
  jwks(): { keys: PublicAdmissionKey[] };
}

export const admissionIssuer = 'firstcome';
const algorithm = 'ES256';

/**
 * The processes that sign and verify a token read different clocks (and the turn's start comes from
 * Redis's): a second of slack keeps a token fetched at the very start of a turn good everywhere.
 */
const clockToleranceSeconds = 1;

/**
 * The jti of a user's turn in an event: the same on every poll, so fetching the token again never gives
 * more claims, and unguessable without the event's secret queue seed. 22 base64url characters (132 bits).
 */
export const jtiOf = (eventId: string, userId: string, seed: string): string =>
  createHash('sha256').update(`${eventId}\0${userId}\0${seed}`).digest('base64url').slice(0, 22);

class UnknownKey extends Error {
  override readonly name = 'UnknownKey';
}

const unauthenticated = (why: string, cause?: unknown) =>
  new AppError('UNAUTHENTICATED', `The admission token ${why}.`, { cause });

/** What a failed verification says to the client: which check the token failed, never key material. */
function refusalOf(error: unknown): AppError {
  if (error instanceof UnknownKey) return unauthenticated(error.message, error);
  if (error instanceof errors.JWTExpired) return unauthenticated('has expired', error);
  if (error instanceof errors.JOSEAlgNotAllowed) return unauthenticated(`must be signed with ${algorithm}`, error);
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return unauthenticated('has a signature that does not verify', error);
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf' && error.reason === 'check_failed') return unauthenticated('is not valid yet', error);
    return unauthenticated(`has a missing or wrong "${error.claim}" claim`, error);
  }
  return unauthenticated('is not a well-formed JWT', error);
}

/** Tokens whose keys are not configured: queued events cannot be served, and say so (503) rather than 401. */
function unconfiguredTokens(): AdmissionTokens {
  const unavailable = () =>
    new AppError(
      'AUTH_UNAVAILABLE',
      'no admission keys are configured (ADMISSION_KEYS or ADMISSION_KEYS_FILE): events with a queue cannot admit anyone',
    );
  return {
    sign: () => Promise.reject(unavailable()),
    verify: () => Promise.reject(unavailable()),
    jwks: () => ({ keys: [] }),
  };
}

/**
 * Signs and verifies admission tokens (ES256 JWTs) with the configured keys: the first key signs, every
 * key verifies the tokens that name it (kid). The keys are imported once, here. Without keys, signing
 * and verifying answer AUTH_UNAVAILABLE: random per-process keys would make a token from one API process
 * fail on the next.
 */
export function createAdmissionTokens(keys: readonly AdmissionKey[]): AdmissionTokens {
  const [signing] = keys;
  if (!signing) return unconfiguredTokens();
  const signingKey = createPrivateKey({ key: { ...signing }, format: 'jwk' });
  const publicKeys = new Map<string, KeyObject>(
    keys.map(({ kid, kty, crv, x, y }) => [kid, createPublicKey({ key: { kty, crv, x, y }, format: 'jwk' })]),
  );
  const publicJwks = keys.map(({ kid, x, y }): PublicAdmissionKey => ({
    kty: 'EC',
    crv: 'P-256',
    x,
    y,
    kid,
    alg: algorithm,
    use: 'sig',
  }));

  const keyOf = (header: JWSHeaderParameters): KeyObject => {
    if (typeof header.kid !== 'string') throw new UnknownKey('names no key (kid)');
    const key = publicKeys.get(header.kid);
    if (!key) throw new UnknownKey('names a key (kid) this service does not have');
    return key;
  };

  return {
    sign({ eventId, userId, jti, notBeforeMs, expiresAtMs }) {
      return new SignJWT({})
        .setProtectedHeader({ alg: algorithm, kid: signing.kid, typ: 'JWT' })
        .setIssuer(admissionIssuer)
        .setAudience(eventId)
        .setSubject(userId)
        .setJti(jti)
        .setIssuedAt()
        .setNotBefore(Math.floor(notBeforeMs / 1000))
        .setExpirationTime(Math.floor(expiresAtMs / 1000))
        .sign(signingKey);
    },

    async verify(token) {
      let payload;
      try {
        ({ payload } = await jwtVerify(token, keyOf, {
          algorithms: [algorithm],
          issuer: admissionIssuer,
          requiredClaims: ['aud', 'sub', 'jti', 'nbf', 'exp'],
          clockTolerance: clockToleranceSeconds,
        }));
      } catch (error) {
        throw refusalOf(error);
      }
      const { aud, sub, jti } = payload;
      // Signed by this service, so these are strings unless a key was used by something else.
      if (typeof aud !== 'string' || typeof sub !== 'string' || typeof jti !== 'string') {
        throw unauthenticated('has an aud, sub or jti that is not a single string');
      }
      return { eventId: aud, userId: sub, jti };
    },

    jwks: () => ({ keys: publicJwks.map((key) => ({ ...key })) }),
  };
}
