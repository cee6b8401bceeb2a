import type { FastifyInstance } from 'fastify';
import type { AdmissionTokens } from '../admission-tokens.ts';

export interface JwksRouteDeps {
  admissionTokens: AdmissionTokens;
}

/**
 * How long a verifier may keep the key set, in seconds. A rotation puts the new key first in
 * ADMISSION_KEYS; a verifier that kept the old set for this long meets a token with an unknown kid,
 * which makes jose's createRemoteJWKSet fetch again.
 */
const jwksMaxAgeSeconds = 300;

/** `GET /.well-known/jwks.json`: the public keys that verify admission tokens, for anyone to check one. */
export function registerJwksRoute(app: FastifyInstance, { admissionTokens }: JwksRouteDeps): void {
  app.get('/.well-known/jwks.json', async (_request, reply) =>
    reply.header('cache-control', `public, max-age=${jwksMaxAgeSeconds}`).send(admissionTokens.jwks()),
  );
}
