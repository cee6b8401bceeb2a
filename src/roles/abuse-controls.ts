import type { Logger } from 'pino';
import { createAbuseGuard, type AbuseGuard } from '../api/abuse-guard.ts';
import { createClientAddress } from '../api/client-address.ts';
import { createProofOfWork, type ProofOfWork } from '../api/proof-of-work.ts';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import type { GateHandle } from '../gate/open-gate.ts';
import type { Metrics } from '../metrics.ts';

/** A warning about the rate buckets' Redis at most this often: a flood during an outage would repeat it per request. */
const bucketsDownWarningIntervalMs = 10_000;

/**
 * Refuses, at start, a proof of work nobody can check: every API process must sign challenges with the
 * same key, so none may make one up (`firstcome start` keeps a dev key in .firstcome/dev-secrets.json).
 */
export function checkProofOfWorkKey(config: Config): void {
  if (config.QUEUE_POW_COST > 0 && config.ALTCHA_HMAC_KEY === undefined) {
    throw new AppError('CONFIG_INVALID', 'ALTCHA_HMAC_KEY: must be set when QUEUE_POW_COST is above 0');
  }
}

/** The abuse controls an operator configured (QUEUE_RATE_LIMIT_*, QUEUE_POW_COST); each is undefined when off. */
export function abuseControlsOf(
  config: Config,
  gate: GateHandle,
  metrics: Metrics,
  log: Logger,
): { abuseGuard: AbuseGuard | undefined; proofOfWork: ProofOfWork | undefined } {
  checkProofOfWorkKey(config);
  const { QUEUE_RATE_LIMIT_USER_PER_SEC: userPerSec, QUEUE_RATE_LIMIT_IP_PER_SEC: addressPerSec } = config;
  let lastWarningAtMs = 0;
  const abuseGuard =
    userPerSec === undefined && addressPerSec === undefined
      ? undefined
      : createAbuseGuard({
          userBuckets:
            userPerSec === undefined ? undefined : gate.createRateBuckets({ name: 'user', points: userPerSec }),
          addressBuckets:
            addressPerSec === undefined ? undefined : gate.createRateBuckets({ name: 'ip', points: addressPerSec }),
          clientAddressOf: createClientAddress({
            trustedProxies: config.TRUSTED_PROXIES,
            proxySecret: config.TRUSTED_PROXY_SECRET,
          }),
          metrics,
          onBucketsDown(error) {
            if (Date.now() - lastWarningAtMs < bucketsDownWarningIntervalMs) return;
            lastWarningAtMs = Date.now();
            log.warn({ err: error }, 'rate buckets unreachable: requests go through unlimited meanwhile');
          },
        });
  const proofOfWork =
    config.QUEUE_POW_COST > 0 && config.ALTCHA_HMAC_KEY !== undefined
      ? createProofOfWork({
          cost: config.QUEUE_POW_COST,
          hmacKey: config.ALTCHA_HMAC_KEY,
          usedSolutions: gate.usedSolutions,
          metrics,
        })
      : undefined;
  return { abuseGuard, proofOfWork };
}
