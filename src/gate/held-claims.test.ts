import { describe, expect, it } from 'vitest';
import { formatHeldClaim, formatHeldClaims, parseHeldClaims } from './held-claims.ts';

describe('held claims', () => {
  it('reads back what it writes, in order', () => {
    const claims = [
      { claimId: 'c_1', slot: 1, seq: 7 },
      { claimId: 'c_2', slot: 2, seq: 12 },
    ];
    expect(formatHeldClaims(claims)).toBe('c_1:1:7,c_2:2:12');
    expect(parseHeldClaims(formatHeldClaims(claims))).toEqual(claims);
  });

  it('takes slot and seq from the end, so a claim id may hold a colon', () => {
    expect(parseHeldClaims(formatHeldClaim({ claimId: 'a:b', slot: 3, seq: 4 }))).toEqual([
      { claimId: 'a:b', slot: 3, seq: 4 },
    ]);
  });

  it('skips empty entries, as the Lua side does', () => {
    expect(parseHeldClaims('')).toEqual([]);
    expect(parseHeldClaims('c:1:1,')).toEqual([{ claimId: 'c', slot: 1, seq: 1 }]);
  });
});
