import { describe, expect, it } from 'vitest';
import type { AdmittedClaim } from '../claim.ts';
import { encodeClaim } from '../kafka/claim-codec.ts';
import { chunkBytes, chunkClaimRecords, type ClaimRecord, recordBytes } from './claim-chunks.ts';

const aClaim = (i: number): AdmittedClaim => ({
  claimId: `c_${String(i).padStart(12, '0')}`,
  eventId: 'ev_0123456789ab',
  userId: `user-${i}`,
  seq: i + 1,
  slot: 1,
  admittedAtMs: 1_700_000_000_000 + i,
});
const records = (count: number) => Array.from({ length: count }, (_, i) => encodeClaim(aClaim(i)));

describe('chunkClaimRecords', () => {
  it('keeps every chunk within the byte bound and every record once, in order', () => {
    const all = records(10_000);
    const maxBytes = 1_047_552;
    const chunks = chunkClaimRecords(all, maxBytes);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(chunkBytes(chunk)).toBeLessThanOrEqual(maxBytes);
    expect(chunks.flat()).toEqual(all);
  });

  it('fills each chunk as far as the bound allows', () => {
    const all = records(1000);
    const chunks = chunkClaimRecords(all, 20_000);
    expect(chunks.length).toBeGreaterThan(1);
    for (let i = 0; i + 1 < chunks.length; i++) {
      expect(chunkBytes(chunks[i]!) + recordBytes(chunks[i + 1]![0]!)).toBeGreaterThan(20_000);
    }
  });

  it('sends everything in one chunk when it fits', () => {
    const all = records(50);
    expect(chunkClaimRecords(all, chunkBytes(all))).toEqual([all]);
  });

  it('gives a record larger than the bound a chunk of its own', () => {
    const big: ClaimRecord = { key: 'big', value: 'x'.repeat(5000) };
    const [a, b] = records(2);
    expect(chunkClaimRecords([a!, big, b!], 1000)).toEqual([[a], [big], [b]]);
  });

  it('makes no chunk of nothing', () => {
    expect(chunkClaimRecords([], 1000)).toEqual([]);
  });

  it('counts bytes, not characters, with room for the record framing', () => {
    expect(recordBytes({ key: 'é', value: '€' })).toBe(2 + 3 + 32);
  });
});
