import { type ClaimOutcome, claimOutcomes, type EventId } from '../claim.ts';
import type { Rejection } from '../gate/gate.ts';
import type { Metrics } from '../metrics.ts';
import type { ClaimTally } from './claim-tally.ts';
import { errorCodeOf } from './http-errors.ts';

/**
 * Which outcomes are the gate's verdicts (the event exists, and the gate admitted or refused the claim);
 * the others are the API's answers before or instead of the gate's.
 */
export const isGateVerdict = {
  admitted: true,
  sold_out: true,
  limit_reached: true,
  not_started: true,
  ended: true,
  rate_limited: false,
  unauthenticated: false,
  forbidden: false,
  invalid: false,
  unavailable: false,
} as const satisfies Record<ClaimOutcome, boolean>;

/** The gate's refusals, answered 409 with the outcome as the error code; each admitted nothing. */
export const claimRefusals = claimOutcomes.filter((outcome) => isGateVerdict[outcome] && outcome !== 'admitted');

/** The outcome of each refusal the gate answers. */
export const outcomeOfRejection = {
  SOLD_OUT: 'sold_out',
  LIMIT_REACHED: 'limit_reached',
  NOT_STARTED: 'not_started',
  ENDED: 'ended',
} as const satisfies Record<Exclude<Rejection, 'NO_EVENT'>, ClaimOutcome>;

/** The contract's error codes that answer a claim; a 404 (no such event) or a 500 is no outcome of a claim. */
const outcomeOfErrorCode = new Map<string, ClaimOutcome>([
  ['invalid_request', 'invalid'],
  ['payload_too_large', 'invalid'],
  ['unauthenticated', 'unauthenticated'],
  ['forbidden', 'forbidden'],
  ['rate_limited', 'rate_limited'],
  ['unavailable', 'unavailable'],
]);

/** The outcome of a claim answered with `error`, if it is one. */
export const claimOutcomeOfError = (error: unknown): ClaimOutcome | undefined =>
  outcomeOfErrorCode.get(errorCodeOf(error));

export interface OutcomeRecorderDeps {
  metrics: Pick<Metrics, 'claims'>;
  tally: ClaimTally;
}

/** Counts each answered claim once, for both readers: Prometheus (`firstcome_claims_total`) and the dashboard's tally. */
export function createOutcomeRecorder({ metrics, tally }: OutcomeRecorderDeps) {
  // Label children bound once: a claim then counts with a property read, not a label look-up.
  const counterOf = Object.fromEntries(claimOutcomes.map((outcome) => [outcome, metrics.claims.labels(outcome)])) as {
    [K in ClaimOutcome]: ReturnType<Metrics['claims']['labels']>;
  };
  return {
    /** Returns the event's new total for this outcome, when the tally counted it. */
    record(eventId: EventId, outcome: ClaimOutcome): number | undefined {
      counterOf[outcome].inc();
      if (isGateVerdict[outcome]) return tally.count(eventId, outcome);
      tally.countIfTallied(eventId, outcome);
      return undefined;
    },
  };
}

export type OutcomeRecorder = ReturnType<typeof createOutcomeRecorder>;
