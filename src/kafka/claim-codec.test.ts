import { describe, expect, it } from 'vitest';
import type { AdmittedClaim } from '../claim.ts';
import { decodeClaim, encodeClaim } from './claim-codec.ts';

const claim: AdmittedClaim = { claimId: 'c1', eventId: 'ev', userId: 'alice', seq: 3, slot: 1, admittedAtMs: 1700 };

describe('claim codec', () => {
  it('keys a claim by its user and decodes what it encoded', () => {
    const record = encodeClaim(claim);
    expect(record.key).toBe('alice');
    expect(decodeClaim(Buffer.from(record.value))).toEqual({ kind: 'claim', claim });
  });

  it('drops fields that are not part of a claim', () => {
    expect(decodeClaim(JSON.stringify({ ...claim, extra: true }))).toEqual({ kind: 'claim', claim });
  });

  it('calls a message that is not JSON, or not an object, poison without a claim id', () => {
    expect(decodeClaim(Buffer.from('{oops'))).toEqual({ kind: 'poison', partial: {}, reason: 'not JSON' });
    expect(decodeClaim(undefined)).toMatchObject({ kind: 'poison', reason: 'not JSON' });
    expect(decodeClaim('[1,2]')).toMatchObject({ kind: 'poison', reason: 'not a JSON object' });
    expect(decodeClaim('null')).toEqual({ kind: 'poison', partial: {}, reason: 'not a JSON object' });
  });

  it('names the missing or wrong fields and keeps the claim id of a poison message', () => {
    const decoded = decodeClaim(JSON.stringify({ claimId: 'c9', eventId: 'ev', seq: 0, slot: '1', admittedAtMs: 5 }));
    expect(decoded).toEqual({
      kind: 'poison',
      claimId: 'c9',
      partial: { claimId: 'c9', eventId: 'ev', admittedAtMs: 5 },
      reason: 'missing or invalid userId, seq, slot',
    });
  });

  it('refuses text the database could not store, and then keeps no claim id', () => {
    const decoded = decodeClaim(JSON.stringify({ ...claim, claimId: 'c\u0000' }));
    expect(decoded).toMatchObject({ kind: 'poison', reason: 'missing or invalid claimId' });
    expect(decoded).not.toHaveProperty('claimId');
  });
});
