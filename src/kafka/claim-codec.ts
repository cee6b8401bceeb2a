import { type AdmittedClaim, type ClaimField, claimFieldNames, claimRecordFields } from '../claim.ts';

/** A message the worker cannot turn into a claim; `claimId` is set when the message names one. */
export interface PoisonMessage {
  claimId?: string;
  /** Whatever the message held, so an operator can see what was wrong. */
  partial: Partial<AdmittedClaim>;
  reason: string;
}

export type DecodedMessage = { kind: 'claim'; claim: AdmittedClaim } | ({ kind: 'poison' } & PoisonMessage);

/** The Kafka record of an admitted claim: key = user id (a user's claims stay in order), value = JSON. */
export function encodeClaim(claim: AdmittedClaim): { key: string; value: string } {
  const value: Partial<Record<ClaimField, string | number>> = {};
  for (const name of claimFieldNames) value[name] = claim[name];
  return { key: claim.userId, value: JSON.stringify(value) };
}

type FieldKind = (typeof claimRecordFields)[ClaimField];

/** A check per kind of field; each field of the record is checked by the check of its kind. */
const isValidOf: Record<FieldKind, (value: unknown) => boolean> = {
  // PostgreSQL text cannot hold NUL: such a field would fail every insert of its batch, not just its own.
  text: (value) => typeof value === 'string' && value.length > 0 && !value.includes('\u0000'),
  count: (value) => Number.isSafeInteger(value) && (value as number) >= 1,
  time: (value) => typeof value === 'number' && Number.isFinite(value),
};

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
  const partial: Partial<Record<ClaimField, unknown>> = {};
  const wrong: string[] = [];
  for (const name of claimFieldNames) {
    const field = fields[name];
    if (isValidOf[claimRecordFields[name]](field)) partial[name] = field;
    else wrong.push(name);
  }
  // Every field in `checked` passed the check of its kind, so it holds the type of its kind.
  const checked = partial as Partial<AdmittedClaim>;
  if (wrong.length === 0) return { kind: 'claim', claim: checked as AdmittedClaim };
  return {
    kind: 'poison',
    ...(checked.claimId === undefined ? {} : { claimId: checked.claimId }),
    partial: checked,
    reason: `missing or invalid ${wrong.join(', ')}`,
  };
}
