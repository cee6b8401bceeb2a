import type { KafkaTarget } from './kafka-options.ts';

/** Node's codes for a broker certificate that does not check out against the trusted CAs or the host. */
const untrustedCertificateCodes = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

type ErrorLike = { code?: unknown; apiId?: unknown; message?: unknown; cause?: unknown; errors?: unknown };

/** The error and everything it wraps: the Kafka client nests a connection's failure in causes and lists. */
function* errorChain(error: unknown, depth = 0): Generator<ErrorLike> {
  if (depth > 8 || typeof error !== 'object' || error === null) return;
  const e = error as ErrorLike;
  yield e;
  yield* errorChain(e.cause, depth + 1);
  if (Array.isArray(e.errors)) for (const inner of e.errors) yield* errorChain(inner, depth + 1);
}

/**
 * Says what to fix when `error` shows Kafka refusing this client for good: wrong SASL credentials or
 * mechanism, a certificate that is not trusted, TLS to a broker without it, missing ACLs, more replicas
 * than brokers. Retrying those cannot help, so
 * a role stops with this sentence instead of waiting for a broker that answers. Undefined for anything else
 * (a broker down or slow is worth waiting for).
 */
export function describeKafkaRefusal(
  error: unknown,
  { brokers, security = {} }: Pick<KafkaTarget, 'brokers' | 'security'>,
) {
  const at = brokers.join(',');
  const who = security.sasl ? `user "${security.sasl.username}" with ${security.sasl.mechanism}` : 'this client';
  for (const e of errorChain(error)) {
    const message = typeof e.message === 'string' ? e.message : '';
    if (typeof e.apiId === 'string' && e.apiId.endsWith('_AUTHORIZATION_FAILED')) {
      return `Kafka at ${at} denied ${who} (${e.apiId}): grant its ACLs (docs/kafka-security.md lists them)`;
    }
    if (e.apiId === 'INVALID_REPLICATION_FACTOR') {
      return `Kafka at ${at} cannot create the claims topic: ${message} Lower KAFKA_REPLICATION_FACTOR to the brokers there are`;
    }
    if (e.code === 'PLT_KFK_AUTHENTICATION') {
      return (
        `Kafka at ${at} refused to authenticate ${who} (${message}): check KAFKA_SASL_USERNAME, ` +
        'KAFKA_SASL_PASSWORD (or the file of KAFKA_SASL_PASSWORD_FILE) and KAFKA_SASL_MECHANISM'
      );
    }
    if (typeof e.code === 'string' && untrustedCertificateCodes.has(e.code)) {
      return (
        `the TLS certificate of Kafka at ${at} is not trusted (${e.code}: ${message}): set KAFKA_SSL_CA_FILE ` +
        `to the CA that signed it${security.tls?.ca ? ' (the one given did not)' : ''}, and name the brokers as the certificate does`
      );
    }
    if (e.code === 'PLT_KFK_USER' && message.startsWith('TLS handshake failed')) {
      return `Kafka at ${at} does not speak TLS on that port: check KAFKA_BROKERS, or set KAFKA_SSL=false`;
    }
  }
  return undefined;
}
