import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { solveChallenge } from './proof-of-work.ts';

/** A challenge as ALTCHA's servers make one: the hash of a random salt and a secret number. */
const challengeOf = (number: number, maxnumber: number) => {
  const salt = randomBytes(12).toString('hex');
  return {
    algorithm: 'SHA-256',
    challenge: createHash('sha256').update(`${salt}${number}`).digest('hex'),
    maxnumber,
    salt,
    signature: 'signed-by-the-server',
  };
};

describe("ALTCHA's proof of work", () => {
  it('finds the number and answers it in the payload the server verifies', async () => {
    const challenge = challengeOf(4321, 10_000);
    const payload = JSON.parse(atob(await solveChallenge(challenge))) as Record<string, unknown>;
    expect(payload).toMatchObject({
      algorithm: 'SHA-256',
      challenge: challenge.challenge,
      number: 4321,
      salt: challenge.salt,
      signature: 'signed-by-the-server',
    });
  });

  it('gives up at the bound rather than search forever', async () => {
    await expect(solveChallenge(challengeOf(500, 100))).rejects.toThrow(/no solution/);
  });
});
