/**
 * ALTCHA's proof of work, as its widget solves it: find the number n ≤ maxnumber whose hash of
 * `salt + n` is the challenge. The answer goes back base64-encoded in the X-Altcha header; the server
 * checks it with its HMAC signature. Solved here in a few lines rather than shipping the widget.
 */
export interface AltchaChallenge {
  algorithm: string;
  challenge: string;
  maxnumber?: number;
  salt: string;
  signature: string;
}

/** ALTCHA's default bound when a challenge names none. */
const defaultMaxNumber = 1_000_000;

const hexOf = (digest: ArrayBuffer) =>
  Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');

/** The X-Altcha value that answers `challenge`; throws when no number up to its bound solves it. */
export async function solveChallenge(
  challenge: AltchaChallenge,
  subtle: SubtleCrypto = crypto.subtle,
): Promise<string> {
  const { algorithm, salt, signature } = challenge;
  const target = challenge.challenge.toLowerCase();
  const encoder = new TextEncoder();
  const startedAtMs = Date.now();
  for (let number = 0; number <= (challenge.maxnumber ?? defaultMaxNumber); number += 1) {
    if (hexOf(await subtle.digest(algorithm, encoder.encode(`${salt}${number}`))) === target) {
      const took = Date.now() - startedAtMs;
      return btoa(JSON.stringify({ algorithm, challenge: challenge.challenge, number, salt, signature, took }));
    }
  }
  throw new Error('the challenge has no solution within its bound');
}
