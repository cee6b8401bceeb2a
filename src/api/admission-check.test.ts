import { describe, expect, it } from 'vitest';
import { generateAdmissionKey } from '../admission-keys.ts';
import { AdmissionRefused, checkAdmission } from './admission-check.ts';
import { createAdmissionTokens, jtiOf } from './admission-tokens.ts';
import { errorCodeOf } from './http-errors.ts';

const tokens = createAdmissionTokens([generateAdmissionKey()]);
const nowMs = Date.now();
const jti = jtiOf('drop-1', 'ann', 'seed');
const annsToken = await tokens.sign({
  eventId: 'drop-1',
  userId: 'ann',
  jti,
  notBeforeMs: nowMs - 1000,
  expiresAtMs: nowMs + 300_000,
});

/** The contract's error code and the refusal's reason of a check, or its jti. */
const answerOf = (token: string | string[] | undefined, eventId = 'drop-1', userId = 'ann') =>
  checkAdmission(tokens, { token, eventId, userId }).catch((error: unknown) => ({
    error: errorCodeOf(error),
    reason: error instanceof AdmissionRefused ? error.reason : undefined,
  }));

describe('checkAdmission', () => {
  it("gives the jti of the user's own token for this event", async () => {
    expect(await answerOf(annsToken)).toEqual({ jti });
  });

  it('answers 401 without a token, and for one that does not verify', async () => {
    expect(await answerOf(undefined)).toEqual({ error: 'unauthenticated', reason: 'token_missing' });
    expect(await answerOf(' ')).toEqual({ error: 'unauthenticated', reason: 'token_missing' });
    const forged = await createAdmissionTokens([generateAdmissionKey()]).sign({
      eventId: 'drop-1',
      userId: 'ann',
      jti,
      notBeforeMs: nowMs - 1000,
      expiresAtMs: nowMs + 300_000,
    });
    expect(await answerOf(forged)).toEqual({ error: 'unauthenticated', reason: 'token_invalid' });
    expect(await answerOf('not-a-jwt')).toEqual({ error: 'unauthenticated', reason: 'token_invalid' });
  });

  it("answers 403 for another user's token and for another event's", async () => {
    expect(await answerOf(annsToken, 'drop-1', 'bob')).toEqual({ error: 'forbidden', reason: 'token_wrong_user' });
    expect(await answerOf(annsToken, 'drop-2', 'ann')).toEqual({ error: 'forbidden', reason: 'token_wrong_event' });
  });

  it('answers 400 for a header sent twice', async () => {
    // Node joins a repeated header with ", ".
    expect(await answerOf(`${annsToken}, ${annsToken}`)).toEqual({ error: 'invalid_request', reason: undefined });
    expect(await answerOf([annsToken, annsToken])).toEqual({ error: 'invalid_request', reason: undefined });
  });

  it('answers 503 when no keys are configured, whatever the token', async () => {
    const check = checkAdmission(createAdmissionTokens([]), { token: annsToken, eventId: 'drop-1', userId: 'ann' });
    await expect(check).rejects.toMatchObject({ code: 'AUTH_UNAVAILABLE' });
  });
});
