import type { AdmittedClaim } from '../claim.ts';

/** A message the worker cannot turn into a claim; `claimId` is set when the message names one. */
export interface PoisonMessage {
  claimId?: string;
  /** Whatever the message held, so an operator can see what was wrong. */
  partial: Partial<AdmittedClaim>;
  reason: string;
}

export type DecodedMessage = { kind: 'claim'; claim: AdmittedClaim } | ({ kind: 'poison' } & PoisonMessage);

/** The Kafka record of an admitted claim: key = user id (a user's claims stay in order), value = JSON. */
export const encodeClaim = (claim: AdmittedClaim): { key: string; value: string } => ({
  key: claim.userId,
  value: JSON.stringify({
    claimId: claim.claimId,
    eventId: claim.eventId,
    userId: claim.userId,
    seq: claim.seq,
    slot: claim.slot,
    admittedAtMs: claim.admittedAtMs,
  }),
});

// PostgreSQL text cannot hold NUL: such a field would fail every insert of its batch, not just its own.
const isText = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && !value.includes('\u0000');
const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 1;
const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** Checks every field: a message that fails is poison, never a coupon with a guessed value. */
export function decodeClaim(value: Buffer | string | undefined): DecodedMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof value === 'string' ? value : (value?.toString('utf8') ?? ''));
  } catch {
    return { kind: 'poison', partial: {}, reason: 'not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { kind: 'poison', partial: {}, reason: 'not a JSON object' };
  }
  const fields = parsed as Record<string, unknown>;
  const partial: Partial<AdmittedClaim> = {};
  const wrong: string[] = [];
  const pick = <K extends keyof AdmittedClaim>(name: K, isValid: (v: unknown) => v is AdmittedClaim[K]) => {
    const field = fields[name];
    if (isValid(field)) partial[name] = field;
    else wrong.push(name);
  };
  pick('claimId', isText);
  pick('eventId', isText);
  pick('userId', isText);
  pick('seq', isCount);
  pick('slot', isCount);
  pick('admittedAtMs', isTime);
  if (wrong.length === 0) return { kind: 'claim', claim: partial as AdmittedClaim };
  return {
    kind: 'poison',
    ...(partial.claimId === undefined ? {} : { claimId: partial.claimId }),
    partial,
    reason: `missing or invalid ${wrong.join(', ')}`,
  };
}
