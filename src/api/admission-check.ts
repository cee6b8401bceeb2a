import { AppError, type ErrorCode } from '../errors.ts';
import type { AdmissionTokens } from './admission-tokens.ts';

/** The header a claim on a queued event carries its admission token in (CONTRACT.md, "Fair start"). */
export const admissionTokenHeader = 'x-admission-token';

/** Why a claim's admission token was refused, as firstcome_queue_refusals_total{reason} names it. */
export type AdmissionRefusalReason = 'token_missing' | 'token_invalid' | 'token_wrong_user' | 'token_wrong_event';

/** A refused admission token: a 401 or 403 like any AppError of its code, with the reason for the metrics. */
export class AdmissionRefused extends AppError {
  readonly reason: AdmissionRefusalReason;

  constructor(code: ErrorCode, reason: AdmissionRefusalReason, message: string, cause?: unknown) {
    super(code, message, { cause });
    this.reason = reason;
  }
}

export interface AdmissionRequest {
  /** The X-Admission-Token header as Node hands it over: undefined when absent. */
  token: string | string[] | undefined;
  eventId: string;
  userId: string;
}

/**
 * Checks that a claim carries the admission token of this user for this event, before anything reaches
 * the gate: missing or not verifying → 401, another event's or user's → 403 (AdmissionRefused); sent
 * twice → 400. Returns the token's jti, which the gate counts uses of.
 */
export async function checkAdmission(tokens: AdmissionTokens, request: AdmissionRequest): Promise<{ jti: string }> {
  const { token, eventId, userId } = request;
  // Node joins a repeated header's values with ", "; a JWT never holds a comma.
  if (Array.isArray(token) || token?.includes(',')) {
    throw new AppError('INVALID_REQUEST', `${admissionTokenHeader}: must be one token, sent once`);
  }
  if (token === undefined || token.trim() === '') {
    throw new AdmissionRefused(
      'UNAUTHENTICATED',
      'token_missing',
      `This event has a queue: a claim needs the ${admissionTokenHeader} header, with the token its turn gave.`,
    );
  }
  let claims;
  try {
    claims = await tokens.verify(token.trim());
  } catch (error) {
    if (error instanceof AppError && error.code === 'UNAUTHENTICATED') {
      throw new AdmissionRefused('UNAUTHENTICATED', 'token_invalid', error.message, error);
    }
    throw error;
  }
  if (claims.eventId !== eventId) {
    throw new AdmissionRefused('FORBIDDEN', 'token_wrong_event', 'This admission token is for another event.');
  }
  if (claims.userId !== userId) {
    throw new AdmissionRefused('FORBIDDEN', 'token_wrong_user', "This admission token is another user's.");
  }
  return { jti: claims.jti };
}
