import { createChallenge, solveChallenge } from 'altcha-lib/v1';
import type { Challenge } from 'altcha-lib/v1/types';
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../test/fixtures/app.ts';
import { randomId } from '../../test/fixtures/basics.ts';
import { useDatabase, usePrivateRedis } from '../../test/fixtures/datastores.ts';
import { isAppError } from '../errors.ts';
import { createMetrics, type Metrics } from '../metrics.ts';
import { createProofOfWork } from './proof-of-work.ts';

const hmacKey = 'a-test-hmac-key-of-at-least-32-characters';

/** What the ALTCHA widget sends in X-Altcha once it solved `challenge`. */
async function solve(challenge: Challenge, overrides: Record<string, unknown> = {}): Promise<string> {
  const solution = await solveChallenge(challenge.challenge, challenge.salt, challenge.algorithm, challenge.maxnumber)
    .promise;
  if (!solution) throw new Error('no solution found below maxnumber');
  const { algorithm, challenge: hash, salt, signature } = challenge;
  const payload = { algorithm, challenge: hash, number: solution.number, salt, signature, took: solution.took };
  return Buffer.from(JSON.stringify({ ...payload, ...overrides })).toString('base64');
}

const failures = async (metrics: Metrics) =>
  (await metrics.queueRefusals.get()).values.find((value) => value.labels.reason === 'challenge_failed')?.value ?? 0;

/** The refusal `verify` throws, as `[code, message]`. */
const refusalOf = async (verifying: Promise<void>) => {
  const error: unknown = await verifying.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isAppError(error)) throw new Error(`expected a refusal, got ${String(error)}`);
  return [error.code, error.message];
};

describe('proof of work on joining', () => {
  const t = useDatabase();
  // Used solutions are remembered in Redis: a Redis of its own, gone with the file.
  const r = usePrivateRedis();
  const proofOfWork = (cost: number, metrics = createMetrics()) =>
    createProofOfWork({ cost, hmacKey, usedSolutions: r.gate.usedSolutions, metrics });

  it('serves a challenge of the configured cost, never cached, and 404 where no proof is asked for', async () => {
    const eventId = randomId('ev');
    const app = buildTestApp(t.store, r.gate, { proofOfWork: proofOfWork(1000) });
    const plain = buildTestApp(t.store, r.gate);
    try {
      const response = await app.inject({ method: 'GET', url: `/events/${eventId}/queue/challenge` });
      expect(response.statusCode).toBe(200);
      expect(response.headers['cache-control']).toBe('no-store');
      const challenge = response.json<Challenge>();
      expect(challenge).toMatchObject({ algorithm: 'SHA-256', maxnumber: 1000 });
      expect(challenge.salt).toContain(`event=${eventId}`);
      const off = await plain.inject({ method: 'GET', url: `/events/${eventId}/queue/challenge` });
      expect([off.statusCode, off.json<{ error: string }>().error]).toEqual([404, 'not_found']);
    } finally {
      await Promise.all([app.close(), plain.close()]);
    }
  });

  it('passes a solved challenge once, and refuses it used again', async () => {
    const metrics = createMetrics();
    const pow = proofOfWork(2000, metrics);
    const eventId = randomId('ev');
    const header = await solve(await pow.createChallenge(eventId));
    await expect(pow.verify(eventId, header)).resolves.toBeUndefined();
    expect(await refusalOf(pow.verify(eventId, header))).toEqual([
      'FORBIDDEN',
      'This proof of work was used already; solve a new challenge.',
    ]);
    expect(await failures(metrics)).toBe(1);
  });

  it('refuses a wrong answer, a forged signature, another event, and an expired challenge', async () => {
    const metrics = createMetrics();
    const pow = proofOfWork(2000, metrics);
    const eventId = randomId('ev');
    const challenge = await pow.createChallenge(eventId);
    const right = JSON.parse(Buffer.from(await solve(challenge), 'base64').toString()) as { number: number };
    const forbidden = (header: string, event = eventId) => refusalOf(pow.verify(event, header)).then(([code]) => code);

    expect(await forbidden(await solve(challenge, { number: right.number + 1 }))).toBe('FORBIDDEN');
    expect(await forbidden(await solve(challenge, { signature: '0'.repeat(64) }))).toBe('FORBIDDEN');
    expect(await forbidden(await solve(challenge), randomId('ev'))).toBe('FORBIDDEN');
    // Signed with our key, expired a second ago: as if solved too late.
    const expired = await createChallenge({
      algorithm: 'SHA-256',
      hmacKey,
      maxnumber: 2000,
      expires: new Date(Date.now() - 1000),
      params: { event: eventId },
    });
    expect(await refusalOf(pow.verify(eventId, await solve(expired)))).toEqual([
      'FORBIDDEN',
      'The proof-of-work challenge has expired; solve a new one.',
    ]);
    // None of them used the right solution up.
    await expect(pow.verify(eventId, await solve(challenge))).resolves.toBeUndefined();
    expect(await failures(metrics)).toBe(4);
  });

  it('refuses a missing solution (403) and one that is no ALTCHA payload at all (400)', async () => {
    const pow = proofOfWork(100);
    const eventId = randomId('ev');
    expect((await refusalOf(pow.verify(eventId, undefined)))[0]).toBe('FORBIDDEN');
    for (const header of ['not base64!', Buffer.from('{"number": 1}').toString('base64'), ['a', 'b']]) {
      expect((await refusalOf(pow.verify(eventId, header)))[0]).toBe('INVALID_REQUEST');
    }
  });

  it('makes the cost configurable: the secret number is at most the cost', async () => {
    const pow = proofOfWork(50);
    const eventId = randomId('ev');
    const challenge = await pow.createChallenge(eventId);
    expect(challenge.maxnumber).toBe(50);
    const { number } = JSON.parse(Buffer.from(await solve(challenge), 'base64').toString()) as { number: number };
    expect(number).toBeLessThanOrEqual(50);
    await expect(pow.verify(eventId, await solve(challenge))).resolves.toBeUndefined();
  });
});
