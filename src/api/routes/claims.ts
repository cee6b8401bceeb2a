import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ClaimStatus } from '../../claim.ts';
import type { Database } from '../../store/database.ts';
import { findUserCoupons } from '../../store/coupons.ts';
import { findUserFailures } from '../../store/failed-claims.ts';
import { AppError } from '../../errors.ts';
import type { Admission, Gate } from '../../gate/gate.ts';
import type { VerdictCache } from '../../gate/verdict-cache.ts';
import type { Metrics } from '../../metrics.ts';
import type { Auth } from '../auth.ts';
import type { RateLimiter } from '../rate-limiter.ts';
import type { EventCatalog } from '../event-catalog.ts';
import { publicEventView } from '../event-views.ts';
import { sendRejection } from '../http-errors.ts';

export interface ClaimRouteDeps {
  db: Database;
  gate: Gate;
  catalog: EventCatalog;
  verdicts: VerdictCache;
  auth: Auth;
  metrics: Metrics;
  /** Set only where an operator configured RATE_LIMIT_PER_SEC. */
  rateLimiter?: RateLimiter | undefined;
}

const eventParams = {
  params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
} as const;

interface ClaimView {
  claimId: string;
  status: ClaimStatus;
  couponId?: string;
  issuedAt?: string;
}

export function registerClaimRoutes(app: FastifyInstance, deps: ClaimRouteDeps): void {
  const { db, gate, catalog, verdicts, auth, metrics, rateLimiter } = deps;
  // Label children bound once: a claim then counts with a property read, not a label look-up.
  const outcomes = ['admitted', 'sold_out', 'limit_reached', 'not_started', 'ended', 'unavailable', 'rate_limited'];
  const claimsBy = Object.fromEntries(outcomes.map((outcome) => [outcome, metrics.claims.labels(outcome)]));
  const countClaim = (outcome: string) => claimsBy[outcome]?.inc();
  const fastPathBy = { SOLD_OUT: metrics.fastPathHits.labels('SOLD_OUT'), ENDED: metrics.fastPathHits.labels('ENDED') };

  async function admit(eventId: string, userId: string, claimId: string): Promise<Admission> {
    const stopTimer = metrics.gateSeconds.startTimer();
    try {
      return await gate.admitClaim({ eventId, userId, claimId });
    } finally {
      stopTimer();
    }
  }

  app.get<{ Params: { id: string } }>('/events/:id', { schema: eventParams }, async (request) => {
    const event = await catalog.find(request.params.id);
    return publicEventView(event, await catalog.figuresOf(event), Date.now());
  });

  app.post<{ Params: { id: string } }>('/events/:id/claims', { schema: eventParams }, async (request, reply) => {
    const userId = await auth.userOf(request.headers);
    if (rateLimiter && !rateLimiter.allow(userId)) {
      countClaim('rate_limited');
      throw new AppError('RATE_LIMITED', 'Too many claims from this user; try again in a second.');
    }
    const eventId = request.params.id;
    const remembered = verdicts.get(eventId);
    if (remembered) {
      fastPathBy[remembered].inc();
      countClaim(remembered.toLowerCase());
      return sendRejection(reply, remembered);
    }
    const claimId = randomUUID();
    let admission: Admission;
    try {
      admission = await admit(eventId, userId, claimId);
      if (admission.kind === 'NO_EVENT') {
        await catalog.loadIntoGate(await catalog.find(eventId));
        admission = await admit(eventId, userId, claimId);
      }
    } catch (error) {
      if (error instanceof AppError && error.retryable) countClaim('unavailable');
      throw error;
    }
    switch (admission.kind) {
      case 'ADMITTED':
        countClaim('admitted');
        return reply.code(202).send({ claimId, eventId, userId, status: 'pending' });
      case 'NO_EVENT':
        throw new AppError('GATE_UNAVAILABLE', `event ${eventId} is not in the gate after loading it`);
      case 'SOLD_OUT':
      case 'ENDED':
        verdicts.remember(eventId, admission.kind);
        break;
    }
    countClaim(admission.kind.toLowerCase());
    return sendRejection(reply, admission.kind);
  });

  app.get<{ Params: { id: string } }>('/events/:id/claims/me', { schema: eventParams }, async (request) => {
    const userId = await auth.userOf(request.headers);
    const event = await catalog.find(request.params.id);
    const [held, coupons, failures] = await Promise.all([
      gate.listHeldClaims(event.id, userId),
      findUserCoupons(db, event.id, userId),
      findUserFailures(db, event.id, userId),
    ]).catch((error: unknown) => {
      if (error instanceof AppError) throw error;
      throw new AppError('DB_UNAVAILABLE', `PostgreSQL did not answer the claims of a user in ${event.id}`, {
        cause: error,
      });
    });
    const claims = new Map<string, ClaimView & { slot: number }>();
    for (const h of held) claims.set(h.claimId, { claimId: h.claimId, status: 'pending', slot: h.slot });
    for (const f of failures) {
      if (f.state !== 'issued') {
        claims.set(f.claimId, { claimId: f.claimId, status: f.state === 'dead' ? 'failed' : 'pending', slot: f.slot });
      }
    }
    for (const c of coupons) {
      claims.set(c.claimId, {
        claimId: c.claimId,
        status: 'issued',
        couponId: c.couponId,
        issuedAt: c.issuedAt.toISOString(),
        slot: c.slot,
      });
    }
    return {
      claims: [...claims.values()].sort((a, b) => a.slot - b.slot).map(({ slot: _slot, ...view }) => view),
    };
  });
}
