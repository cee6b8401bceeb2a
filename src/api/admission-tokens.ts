import { createHash } from 'node:crypto';
import { importJWK, jwtVerify, SignJWT, type CryptoKey, type JWK } from 'jose';
import { AppError } from '../errors.ts';

/*
 * A stand-in until the tokens work (ES256 keys from configuration, rotation, the JWKS route) is merged:
 * the interface of queue-design.md and the least that signs and verifies with it.
 */

/** What an admission token says once it verifies: the event (aud) and user (sub) whose turn it is. */
export interface AdmissionClaims {
  eventId: string;
  userId: string;
  jti: string;
}

export interface AdmissionTokens {
  /** A token good from `notBeforeMs` until `expiresAtMs`. */
  sign(claims: AdmissionClaims & { notBeforeMs: number; expiresAtMs: number }): Promise<string>;
  /** The token's claims; AppError UNAUTHENTICATED when it is forged, expired or malformed. */
  verify(token: string): Promise<AdmissionClaims>;
  /** The public keys. */
  jwks(): { keys: JWK[] };
}

/** The jti of a user's turn in an event: the same on every poll, unguessable without the event's seed. */
export const jtiOf = (eventId: string, userId: string, seed: string): string =>
  createHash('sha256').update(`${eventId}\0${userId}\0${seed}`).digest('base64url').slice(0, 22);

/** ES256 tokens with EC P-256 private JWKs (each with a `kid`): the first signs, every one verifies. */
export async function createAdmissionTokens(keys: Array<JWK & { kid: string }>): Promise<AdmissionTokens> {
  const imported = new Map<string, CryptoKey>();
  for (const key of keys) imported.set(key.kid, (await importJWK(key, 'ES256')) as CryptoKey);
  const signer = keys[0];
  if (!signer) throw new AppError('CONFIG_INVALID', 'admission tokens need at least one key');
  return {
    sign: ({ eventId, userId, jti, notBeforeMs, expiresAtMs }) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: signer.kid })
        .setIssuer('firstcome')
        .setAudience(eventId)
        .setSubject(userId)
        .setJti(jti)
        .setNotBefore(Math.floor(notBeforeMs / 1000))
        .setExpirationTime(Math.floor(expiresAtMs / 1000))
        .sign(imported.get(signer.kid)!),
    async verify(token) {
      try {
        const { payload } = await jwtVerify(
          token,
          async ({ kid }) => {
            const key = kid === undefined ? undefined : imported.get(kid);
            if (!key) throw new Error('unknown key');
            return key;
          },
          { issuer: 'firstcome', algorithms: ['ES256'] },
        );
        const eventId = typeof payload.aud === 'string' ? payload.aud : undefined;
        if (!eventId || !payload.sub || !payload.jti) throw new Error('claims missing');
        return { eventId, userId: payload.sub, jti: payload.jti };
      } catch (error) {
        throw new AppError('UNAUTHENTICATED', 'The admission token is not valid.', { cause: error });
      }
    },
    jwks: () => ({
      keys: keys.map(({ kty, crv, x, y, kid }) => ({ kty, crv, x, y, kid, alg: 'ES256', use: 'sig' })),
    }),
  };
}
