import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateAdmissionKey, parseAdmissionKeys } from './admission-keys.ts';

const problemOf = (value: unknown): string => {
  try {
    parseAdmissionKeys(typeof value === 'string' ? value : JSON.stringify(value));
  } catch (error) {
    return (error as Error).message;
  }
  return 'none';
};

describe('parseAdmissionKeys', () => {
  it('takes the keys `firstcome keys generate` makes, first one first', () => {
    const [a, b] = [generateAdmissionKey(), generateAdmissionKey()];
    expect(parseAdmissionKeys(JSON.stringify([a, b]))).toEqual([a, b]);
  });

  it('keeps only the key: alg ES256 and use sig are allowed, other fields are dropped', () => {
    const key = generateAdmissionKey();
    expect(parseAdmissionKeys(JSON.stringify([{ ...key, alg: 'ES256', use: 'sig', note: 'x' }]))).toEqual([key]);
  });

  it('names the key and its problem, and never repeats key material', () => {
    const key = generateAdmissionKey();
    const other = generateAdmissionKey();
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'jwk' });
    const cases: Array<[unknown, string]> = [
      ['{not json', 'is not JSON'],
      [key, 'must be a JSON array'],
      [[], 'must be a JSON array'],
      [[key, 'text'], 'key 2 is not a JSON object'],
      [[{ ...key, kid: '' }], 'key 1 has no kid'],
      [[{ ...rsa, kid: 'r' }], 'key 1 (kid "r") is not an EC P-256 key'],
      [[{ ...p384, kid: 'p' }], 'key 1 (kid "p") is not an EC P-256 key'],
      [[{ ...key, d: undefined }], 'is a public key (no "d")'],
      [[{ ...key, alg: 'ES384' }], 'has an alg other than ES256'],
      [[{ ...key, use: 'enc' }], 'has a use other than sig'],
      [[{ ...key, x: other.x, y: other.y }], 'is not the public half of its d'],
      [[{ ...key, d: 'AAAA' }], 'is not a valid EC P-256 key'],
      [[key, { ...other, kid: key.kid }], `key 2 (kid "${key.kid}"): kid "${key.kid}" is used by an earlier key`],
    ];
    for (const [value, problem] of cases) {
      const message = problemOf(value);
      expect(message, JSON.stringify(value)).toContain(problem);
      for (const secret of [key.d, other.d]) expect(message).not.toContain(secret);
    }
  });
});

describe('generateAdmissionKey', () => {
  it('makes a P-256 key whose kid starts with the day', () => {
    const key = generateAdmissionKey(new Date('2026-11-30T18:00:00Z'));
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', kid: expect.stringMatching(/^2026-11-30-[0-9a-f]{8}$/) });
    expect(generateAdmissionKey().d).not.toBe(key.d);
  });
});
