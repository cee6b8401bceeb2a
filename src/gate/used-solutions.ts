import { callGate } from './gate-call.ts';
import { usedSolutionKey } from './keys.ts';
import type { GateRedis } from './redis.ts';

/**
 * Slack on a used solution's expiry: the API process that checked the challenge's expiry and Redis may
 * disagree on the time by a little, and a solution must not be forgotten while some process still
 * takes its challenge as unexpired.
 */
const clockSlackMs = 60_000;

/** The proof-of-work solutions used so far, shared by every API process: each may be used once. */
export function createUsedSolutions(redis: GateRedis) {
  return {
    /**
     * Marks the solution of `challenge` used (SET NX, kept until its challenge expires); returns false when
     * it was used before.
     */
    async markUsed(challenge: string, expiresAtMs: number): Promise<boolean> {
      const ttlMs = Math.max(expiresAtMs - Date.now(), 0) + clockSlackMs;
      const reply = await callGate(`the used proof-of-work solutions`, () =>
        redis.set(usedSolutionKey(challenge), '1', { condition: 'NX', expiration: { type: 'PX', value: ttlMs } }),
      );
      return reply === 'OK';
    },
  };
}

export type UsedSolutions = ReturnType<typeof createUsedSolutions>;
