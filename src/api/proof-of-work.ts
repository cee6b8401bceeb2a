import { createChallenge, extractParams, verifySolution } from 'altcha-lib/v1';
import type { Challenge, Payload } from 'altcha-lib/v1/types';
import type { EventId } from '../claim.ts';
import { AppError } from '../errors.ts';
import type { UsedSolutions } from '../gate/open-gate.ts';
import type { Metrics } from '../metrics.ts';

/** The header a join carries its solution in: the ALTCHA widget's payload, base64 JSON. */
export const proofOfWorkHeader = 'x-altcha';

export interface ProofOfWorkOptions {
  /** ALTCHA's maxnumber (QUEUE_POW_COST): a client tries half as many SHA-256 hashes on average. */
  cost: number;
  /** Signs the challenges (ALTCHA_HMAC_KEY): every API process must have the same. */
  hmacKey: string;
  usedSolutions: UsedSolutions;
  metrics: Pick<Metrics, 'queueRefusals'>;
  /**
   * How long a challenge may be solved and used: long enough to solve it on a slow phone, short because
   * every used solution is remembered in Redis until then. @defaultValue 300
   */
  challengeTtlSeconds?: number;
}

// The widget's payload is a few hundred bytes; the cap keeps a forged header from costing anything.
const maxPayloadLength = 2048;
const base64 = /^[A-Za-z0-9+/]+={0,2}$/;
const hex64 = /^[0-9a-f]{64}$/;

/** The solution the header carries, or undefined when it is not an ALTCHA v1 payload of SHA-256. */
function parsePayload(header: string): Payload | undefined {
  if (header.length > maxPayloadLength || !base64.test(header)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { algorithm, challenge, number, salt, signature } = value as Record<string, unknown>;
  const isPayload =
    algorithm === 'SHA-256' &&
    typeof challenge === 'string' &&
    hex64.test(challenge) &&
    Number.isSafeInteger(number) &&
    (number as number) >= 0 &&
    typeof salt === 'string' &&
    typeof signature === 'string' &&
    hex64.test(signature);
  return isPayload ? { algorithm, challenge, number: number as number, salt, signature } : undefined;
}

/**
 * ALTCHA proof of work on joining a queue, self-hosted (altcha-lib's v1 protocol, which the current
 * widget still solves): a challenge signed with our key, bound to one event, solved once. A solution is
 * marked used in Redis before the join goes on, so that two joins racing with one solution cannot both
 * pass; a join that then fails for another reason needs a new one.
 */
export function createProofOfWork({
  cost,
  hmacKey,
  usedSolutions,
  metrics,
  challengeTtlSeconds = 300,
}: ProofOfWorkOptions) {
  const failures = metrics.queueRefusals.labels('challenge_failed');
  const refuse = (code: 'FORBIDDEN' | 'INVALID_REQUEST', message: string): never => {
    failures.inc();
    throw new AppError(code, message);
  };

  return {
    cost,

    /** A new challenge for joining `eventId`'s queue, as the ALTCHA widget fetches it. */
    createChallenge(eventId: EventId): Promise<Challenge> {
      return createChallenge({
        algorithm: 'SHA-256',
        hmacKey,
        maxnumber: cost,
        expires: new Date(Date.now() + challengeTtlSeconds * 1000),
        params: { event: eventId },
      });
    },

    /**
     * Checks the X-Altcha header of a join to `eventId` and uses its solution up. Throws 403 forbidden
     * when it is missing, wrong, expired, for another event or used already; 400 invalid_request when it is
     * not an ALTCHA payload at all (a client bug, not a failed proof: the message says what to fix).
     */
    async verify(eventId: EventId, header: string | string[] | undefined): Promise<void> {
      if (header === undefined) {
        return refuse(
          'FORBIDDEN',
          `Joining this queue needs a proof of work: solve GET /events/${eventId}/queue/challenge and send the solution in X-Altcha.`,
        );
      }
      const payload = typeof header === 'string' ? parsePayload(header) : undefined;
      if (!payload) {
        return refuse('INVALID_REQUEST', 'X-Altcha: must be one ALTCHA solution (base64 JSON, SHA-256), sent once.');
      }
      const params = extractParams(payload);
      const expiresAtMs = Number(params.expires) * 1000;
      if (params.event !== eventId || !Number.isFinite(expiresAtMs)) {
        return refuse('FORBIDDEN', 'The proof of work was not made for joining this event; solve its challenge.');
      }
      if (expiresAtMs < Date.now()) {
        return refuse('FORBIDDEN', 'The proof-of-work challenge has expired; solve a new one.');
      }
      if (!(await verifySolution(payload, hmacKey, true))) {
        return refuse('FORBIDDEN', 'The proof of work is not a solution of a challenge of ours.');
      }
      if (!(await usedSolutions.markUsed(payload.challenge, expiresAtMs))) {
        return refuse('FORBIDDEN', 'This proof of work was used already; solve a new challenge.');
      }
    },
  };
}

export type ProofOfWork = ReturnType<typeof createProofOfWork>;
