import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { MAX_USER_ID_LENGTH, type UserId } from '../claim.ts';
import { AppError } from '../errors.ts';

export interface AuthOptions {
  mode: 'jwt' | 'trusted-header';
  userIdHeader: string;
  jwtSecret?: string | undefined;
  jwksUrl?: string | undefined;
  issuer?: string | undefined;
  audience?: string | undefined;
  adminToken?: string | undefined;
}

const bearerOf = (headers: IncomingHttpHeaders): string | undefined => {
  const header = headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
};

// Hashing first makes both sides the same length, so the comparison takes the same time for any guess.
const digest = (value: string) => createHash('sha256').update(value).digest();
const sameSecret = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

const checkUserId = (userId: string): UserId => {
  if (userId.length > MAX_USER_ID_LENGTH) {
    throw new AppError('INVALID_REQUEST', `user id: must be at most ${MAX_USER_ID_LENGTH} characters`);
  }
  return userId;
};

export function createAuth(options: AuthOptions) {
  const key: Uint8Array | JWTVerifyGetKey | undefined = options.jwtSecret
    ? new TextEncoder().encode(options.jwtSecret)
    : options.jwksUrl
      ? createRemoteJWKSet(new URL(options.jwksUrl))
      : undefined;
  const algorithms = options.jwtSecret ? ['HS256'] : ['RS256', 'ES256'];
  const verifyOptions = { algorithms, issuer: options.issuer, audience: options.audience };

  async function subjectOf(token: string): Promise<string | undefined> {
    if (!key) return undefined;
    try {
      const { payload } = await (typeof key === 'function'
        ? jwtVerify(token, key, verifyOptions)
        : jwtVerify(token, key, verifyOptions));
      return typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub : undefined;
    } catch {
      return undefined;
    }
  }

  return {
    /** The user a public request speaks for; 401 without one. */
    async userOf(headers: IncomingHttpHeaders): Promise<UserId> {
      if (options.mode === 'trusted-header') {
        const value = headers[options.userIdHeader];
        const userId = Array.isArray(value) ? value[0] : value;
        if (!userId) throw new AppError('UNAUTHENTICATED', `The ${options.userIdHeader} header names no user.`);
        return checkUserId(userId);
      }
      const token = bearerOf(headers);
      if (!token) throw new AppError('UNAUTHENTICATED', 'A bearer token is required.');
      const subject = await subjectOf(token);
      if (subject === undefined) throw new AppError('UNAUTHENTICATED', 'The bearer token is not valid.');
      return checkUserId(subject);
    },

    /** Admin routes: 401 without the admin token; 403 for a valid user token that is not the admin's. */
    async checkAdmin(headers: IncomingHttpHeaders): Promise<void> {
      const token = bearerOf(headers);
      if (!options.adminToken) {
        throw new AppError('UNAUTHENTICATED', 'Admin routes are disabled until ADMIN_TOKEN is set.');
      }
      if (!token) throw new AppError('UNAUTHENTICATED', 'The admin bearer token is required.');
      if (sameSecret(token, options.adminToken)) return;
      if ((await subjectOf(token)) !== undefined) {
        throw new AppError('FORBIDDEN', 'This token may not use admin routes.');
      }
      throw new AppError('UNAUTHENTICATED', 'The admin bearer token is not valid.');
    },
  };
}

export type Auth = ReturnType<typeof createAuth>;
