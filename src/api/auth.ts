import type { IncomingHttpHeaders } from 'node:http';
import { MAX_USER_ID_LENGTH, type UserId } from '../claim.ts';
import { AppError } from '../errors.ts';
import { type AuthRequest, type ProxyTrustOptions, createProxyTrust, readIdentityHeader } from './auth-header.ts';
import { type JwtOptions, createTokenVerifier } from './auth-jwt.ts';
import { isSameSecret } from './auth-secret.ts';

export type { AuthRequest } from './auth-header.ts';

export interface AuthOptions extends JwtOptions, ProxyTrustOptions {
  mode: 'jwt' | 'trusted-header';
  userIdHeader: string;
  adminToken?: string | undefined;
}

const bearerOf = (headers: IncomingHttpHeaders): string | undefined => {
  const header = headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
};

// C0, DEL and C1: a user id travels through Redis, Kafka and SQL, and logs; none of them should carry these.
const controlCharacter = /[\u0000-\u001f\u007f-\u009f]/;
// A lone surrogate has no UTF-8 form: Redis and PostgreSQL would each store a different replacement.
const loneSurrogate = /\p{Cs}/u;

/** The user id as `field` carried it, or 400 naming the field. */
export function checkUserId(userId: string, field: string): UserId {
  if (userId.length > MAX_USER_ID_LENGTH) {
    throw new AppError('INVALID_REQUEST', `${field}: must be at most ${MAX_USER_ID_LENGTH} characters`);
  }
  if (controlCharacter.test(userId)) {
    throw new AppError(
      'INVALID_REQUEST',
      `${field}: must not contain control characters (U+0000–U+001F, U+007F–U+009F)`,
    );
  }
  if (loneSurrogate.test(userId)) {
    throw new AppError('INVALID_REQUEST', `${field}: must be well-formed Unicode (it holds a lone surrogate)`);
  }
  return userId;
}

export function createAuth(options: AuthOptions) {
  const verifyToken = createTokenVerifier(options);
  const isFromTrustedProxy = createProxyTrust(options);
  const header = options.userIdHeader.toLowerCase();

  /** The subject of a valid token; undefined for any token that is not one. */
  async function subjectOf(token: string): Promise<{ sub?: string; reason?: string }> {
    if (!verifyToken) return { reason: 'no JWT_SECRET or JWT_JWKS_URL is configured' };
    const check = await verifyToken(token);
    if (!check.ok) return check.reason === undefined ? {} : { reason: check.reason };
    const sub = check.payload.sub;
    return typeof sub === 'string' && sub !== '' ? { sub } : { reason: 'it names no subject (sub)' };
  }

  function userFromHeader(request: AuthRequest): UserId {
    if (!isFromTrustedProxy(request)) {
      throw new AppError(
        'UNAUTHENTICATED',
        options.proxySecret === undefined
          ? `The ${header} header is taken only from a trusted proxy.`
          : `The ${header} header is taken only with the proxy secret.`,
      );
    }
    const userId = readIdentityHeader(request, header);
    if (!userId) throw new AppError('UNAUTHENTICATED', `The ${header} header names no user.`);
    return checkUserId(userId, header);
  }

  return {
    /** The user a public request speaks for; 401 without one, 400 for a user id no store should keep. */
    async userOf(request: AuthRequest): Promise<UserId> {
      if (options.mode === 'trusted-header') return userFromHeader(request);
      const token = bearerOf(request.headers);
      if (!token) throw new AppError('UNAUTHENTICATED', 'A bearer token is required.');
      const { sub, reason } = await subjectOf(token);
      if (sub === undefined) {
        throw new AppError('UNAUTHENTICATED', `The bearer token is not valid${reason ? `: ${reason}` : ''}.`);
      }
      return checkUserId(sub, 'sub');
    },

    /** Admin routes: 401 without the admin token; 403 for a valid user token that is not the admin's. */
    async checkAdmin(headers: IncomingHttpHeaders): Promise<void> {
      const token = bearerOf(headers);
      if (!options.adminToken) {
        throw new AppError('UNAUTHENTICATED', 'Admin routes are disabled until ADMIN_TOKEN is set.');
      }
      if (!token) throw new AppError('UNAUTHENTICATED', 'The admin bearer token is required.');
      if (isSameSecret(token, options.adminToken)) return;
      if ((await subjectOf(token)).sub !== undefined) {
        throw new AppError('FORBIDDEN', 'This token may not use admin routes.');
      }
      throw new AppError('UNAUTHENTICATED', 'The admin bearer token is not valid.');
    },
  };
}

export type Auth = ReturnType<typeof createAuth>;
