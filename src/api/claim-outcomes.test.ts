import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.ts';
import type { Admission, Gate } from '../gate/gate.ts';
import { createVerdictCache } from '../gate/verdict-cache.ts';
import { createMetrics } from '../metrics.ts';
import type { Auth } from './auth.ts';
import { claimRefusals, createOutcomeRecorder } from './claim-outcomes.ts';
import { createClaimTally, type OutcomeCounts, zeroCounts } from './claim-tally.ts';
import type { EventCatalog } from './event-catalog.ts';
import { createHttpServer } from './http-server.ts';
import { createRateLimiter } from './rate-limiter.ts';
import { type ClaimRouteDeps, registerClaimRoutes } from './routes/claims.ts';

const counts = (partial: Partial<OutcomeCounts>): OutcomeCounts => ({ ...zeroCounts(), ...partial });

/** The claim route on a gate that admits on `open`, refuses `full` as sold out, fails on `down` and knows no other event (none queued). */
function claimApp() {
  const metrics = createMetrics();
  const tally = createClaimTally();
  const gate = {
    async admitClaim({ eventId }: { eventId: string }): Promise<Admission> {
      if (eventId === 'down') throw new AppError('GATE_UNAVAILABLE', 'Redis did not answer', { retryable: true });
      if (eventId === 'full') return { kind: 'SOLD_OUT', generation: 0 };
      return eventId === 'open' ? { kind: 'ADMITTED', seq: 1, slot: 1 } : { kind: 'NO_EVENT' };
    },
  };
  const catalog = {
    async find(eventId: string) {
      if (['open', 'full', 'down'].includes(eventId)) return { id: eventId, perUserLimit: 1, queue: null };
      throw new AppError('EVENT_NOT_FOUND', `No event has the id "${eventId}".`);
    },
  };
  const auth = {
    async userOf({ headers }: { headers: IncomingHttpHeaders }) {
      const userId = headers['x-user-id'];
      if (typeof userId !== 'string') throw new AppError('UNAUTHENTICATED', 'no user');
      if (userId.length > 128) throw new AppError('INVALID_REQUEST', 'user id: too long');
      return userId;
    },
  };
  const app = createHttpServer();
  registerClaimRoutes(app, {
    gate: gate as unknown as Gate,
    catalog: catalog as unknown as EventCatalog,
    auth: auth as unknown as Auth,
    verdicts: createVerdictCache(),
    metrics,
    outcomes: createOutcomeRecorder({ metrics, tally }),
    rateLimiter: createRateLimiter(1, () => 0),
  } as ClaimRouteDeps);
  const claim = (eventId: string, headers: Record<string, string> = {}, payload?: string) =>
    app.inject({ method: 'POST', url: `/events/${eventId}/claims`, headers, ...(payload ? { payload } : {}) });
  /** The outcomes /metrics shows, with their counts. */
  const counted = async (): Promise<Record<string, number>> => {
    const { values } = await metrics.claims.get();
    return Object.fromEntries(values.map(({ labels, value }) => [String(labels.outcome), value]));
  };
  return { app, metrics, tally, claim, counted };
}

describe('claim outcomes', () => {
  it('counts a 429 and a 401 once each, on the tally and in /metrics', async () => {
    const { app, metrics, tally, claim, counted } = claimApp();
    expect((await claim('open', { 'x-user-id': 'rita' })).statusCode).toBe(202);
    expect((await claim('open', { 'x-user-id': 'rita' })).statusCode).toBe(429);
    expect((await claim('open')).statusCode).toBe(401);

    expect(tally.read('open')).toEqual(counts({ admitted: 1, rate_limited: 1, unauthenticated: 1 }));
    expect(await counted()).toEqual({ admitted: 1, rate_limited: 1, unauthenticated: 1 });
    const exposition = await metrics.registry.metrics();
    expect(exposition).toContain('firstcome_claims_total{outcome="rate_limited"} 1');
    expect(exposition).toContain('firstcome_claims_total{outcome="unauthenticated"} 1');
    await app.close();
  });

  it('counts a malformed request as invalid, an outage as unavailable and a refusal by its reason', async () => {
    const { app, tally, claim, counted } = claimApp();
    expect((await claim('full', { 'x-user-id': 'a' })).statusCode).toBe(409);
    expect((await claim('full', { 'x-user-id': 'b' })).statusCode).toBe(409);
    expect((await claim('full', { 'x-user-id': 'u'.repeat(129) })).statusCode).toBe(400);
    const badJson = await claim('full', { 'x-user-id': 'c', 'content-type': 'application/json' }, '{"oops');
    expect(badJson.statusCode).toBe(400);
    expect((await claim('down', { 'x-user-id': 'd' })).statusCode).toBe(503);

    expect(tally.read('full')).toEqual(counts({ sold_out: 2, invalid: 2 }));
    expect(await counted()).toEqual({ sold_out: 2, invalid: 2, unavailable: 1 });
    await app.close();
  });

  it('keeps event ids the gate never answered for off the tally, and a claim for no event out of both', async () => {
    const { app, tally, claim, counted } = claimApp();
    expect((await claim('made-up')).statusCode).toBe(401);
    expect((await claim('made-up', { 'x-user-id': 'a' })).statusCode).toBe(404);

    expect(tally.read('made-up')).toEqual(zeroCounts());
    expect(await counted()).toEqual({ unauthenticated: 1 });
    await app.close();
  });

  it('documents as refusals exactly the outcomes the gate refuses with', () => {
    expect(claimRefusals).toEqual(['sold_out', 'limit_reached', 'not_started', 'ended']);
  });
});
