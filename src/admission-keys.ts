import { createECDH, createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';

/**
 * One key that signs admission tokens: an EC P-256 private JWK with its `kid`. ADMISSION_KEYS lists
 * them; the first signs, every one verifies (rotation: put a new key first, drop the old one once the
 * tokens it signed have expired).
 */
export interface AdmissionKey {
  kty: 'EC';
  crv: 'P-256';
  kid: string;
  x: string;
  y: string;
  d: string;
}

const expected = 'a JSON array of EC P-256 private JWKs, each with a kid (`firstcome keys generate` prints one)';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Why one entry is not a usable key; undefined when it is one. Never repeats key material. */
function problemOf(entry: unknown): string | undefined {
  if (!isRecord(entry)) return 'is not a JSON object';
  if (typeof entry.kid !== 'string' || entry.kid === '') return 'has no kid';
  if (entry.kty !== 'EC' || entry.crv !== 'P-256') return 'is not an EC P-256 key (kty "EC", crv "P-256")';
  if (typeof entry.d !== 'string') return 'is a public key (no "d"): signing needs the private key';
  if (entry.alg !== undefined && entry.alg !== 'ES256') return 'has an alg other than ES256';
  if (entry.use !== undefined && entry.use !== 'sig') return 'has a use other than sig';
  try {
    // Node checks that the point is on the curve, not that it belongs to d; a JWKS publishing another
    // point would verify none of the tokens, so the public half is derived from d and compared.
    createPrivateKey({ key: entry, format: 'jwk' });
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(Buffer.from(entry.d, 'base64url'));
    const point = ecdh.getPublicKey();
    const [x, y] = [point.subarray(1, 33), point.subarray(33)].map((half) => half.toString('base64url'));
    if (x !== entry.x || y !== entry.y) return 'has an x, y that is not the public half of its d';
  } catch {
    return 'is not a valid EC P-256 key';
  }
  return undefined;
}

/**
 * The keys in an ADMISSION_KEYS value. Throws an Error whose message says what is wrong and where,
 * without repeating any of the value (it is a secret, and the message goes to logs).
 */
export function parseAdmissionKeys(text: string): AdmissionKey[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`is not JSON: must be ${expected}`);
  }
  if (!Array.isArray(value) || value.length === 0) throw new Error(`must be ${expected}`);
  const kids = new Set<string>();
  return value.map((entry: unknown, index) => {
    const problem = problemOf(entry);
    const kid = isRecord(entry) && typeof entry.kid === 'string' && entry.kid !== '' ? entry.kid : undefined;
    const where = `key ${index + 1}${kid === undefined ? '' : ` (kid "${kid}")`}`;
    if (problem) throw new Error(`${where} ${problem}`);
    const key = entry as AdmissionKey;
    if (kids.has(key.kid)) throw new Error(`${where}: kid "${key.kid}" is used by an earlier key; kids must be unique`);
    kids.add(key.kid);
    return { kty: 'EC', crv: 'P-256', kid: key.kid, x: key.x, y: key.y, d: key.d };
  });
}

/** A fresh signing key; its kid starts with the day it was made, so an operator rotating keys sees its age. */
export function generateAdmissionKey(now: Date = new Date()): AdmissionKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  const kid = `${now.toISOString().slice(0, 10)}-${randomBytes(4).toString('hex')}`;
  return { kty: 'EC', crv: 'P-256', kid, x: jwk.x!, y: jwk.y!, d: jwk.d! };
}
