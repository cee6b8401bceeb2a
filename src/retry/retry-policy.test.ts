import { describe, expect, it } from 'vitest';
import { decideAfterRefusal, isFinalRefusal } from './retry-policy.ts';

const policy = { maxAttempts: 4, baseMs: 1000, capMs: 60_000 };

describe('decideAfterRefusal', () => {
  it.each(['beyond_stock', 'beyond_limit', 'unknown_event', 'ticket_taken', 'slot_taken'])(
    'gives up at once on %s, which no later attempt can change',
    (cause) => {
      expect(isFinalRefusal(`${cause}: new row violates a constraint`)).toBe(true);
      expect(decideAfterRefusal(`${cause}: new row violates a constraint`, 2, policy)).toEqual({ state: 'dead' });
    },
  );

  it('retries any other refusal with a growing delay until the last attempt', () => {
    const decide = (attempt: number) => decideAfterRefusal('refused: value too long', attempt, policy, () => 1);
    expect([1, 2, 3].map(decide)).toEqual([
      { state: 'retrying', delayMs: 1000 },
      { state: 'retrying', delayMs: 2000 },
      { state: 'retrying', delayMs: 4000 },
    ]);
    expect(decide(4)).toEqual({ state: 'dead' });
  });
});
