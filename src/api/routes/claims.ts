import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { EVENT_ID_PATTERN, type ClaimOutcome, type ClaimStatus } from '../../claim.ts';
import type { Store } from '../../store/store.ts';
import { AppError } from '../../errors.ts';
import type { Admission, Gate } from '../../gate/gate.ts';
import type { VerdictCache } from '../../gate/verdict-cache.ts';
import type { Metrics } from '../../metrics.ts';
import type { Auth } from '../auth.ts';
import { claimOutcomeOfError, type OutcomeRecorder, outcomeOfRejection } from '../claim-outcomes.ts';
import type { RateLimiter } from '../rate-limiter.ts';
import type { EventCatalog } from '../event-catalog.ts';
import { publicEventView } from '../event-views.ts';
import { sendRejection } from '../http-errors.ts';

export interface ClaimRouteDeps {
  store: Store;
  gate: Gate;
  catalog: EventCatalog;
  verdicts: VerdictCache;
  auth: Auth;
  metrics: Metrics;
  /** Counts every answer of a claim, once. */
  outcomes: OutcomeRecorder;
  /** Set only where an operator configured RATE_LIMIT_PER_SEC. */
  rateLimiter?: RateLimiter | undefined;
}

const isDebugOn = (level: string) => level === 'debug' || level === 'trace';

/** 1 to 128 visible ASCII characters (0x21-0x7E): no space, so the gate can join it to a user id. */
const idempotencyKeyPattern = /^[\x21-\x7e]{1,128}$/;

/** The request's Idempotency-Key, if it sent one; anything but one valid key is a bad request. */
function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const key = request.headers['idempotency-key'];
  if (key === undefined) return undefined;
  // Sent twice, Node joins the values with ", ", which the pattern refuses.
  if (typeof key !== 'string' || !idempotencyKeyPattern.test(key)) {
    throw new AppError('INVALID_REQUEST', 'Idempotency-Key: must be 1 to 128 visible ASCII characters, sent once.');
  }
  return key;
}

const eventParams = {
  params: { type: 'object', properties: { id: { type: 'string', pattern: EVENT_ID_PATTERN } }, required: ['id'] },
} as const;

interface ClaimView {
  claimId: string;
  status: ClaimStatus;
  couponId?: string;
  issuedAt?: string;
}

export function registerClaimRoutes(app: FastifyInstance, deps: ClaimRouteDeps): void {
  const { store, gate, catalog, verdicts, auth, metrics, outcomes, rateLimiter } = deps;
  const fastPathBy = { SOLD_OUT: metrics.fastPathHits.labels('SOLD_OUT'), ENDED: metrics.fastPathHits.labels('ENDED') };

  async function admit(claim: Parameters<Gate['admitClaim']>[0]): Promise<Admission> {
    const stopTimer = metrics.gateSeconds.startTimer();
    try {
      return await gate.admitClaim(claim);
    } finally {
      stopTimer();
    }
  }

  app.get<{ Params: { id: string } }>('/events/:id', { schema: eventParams }, async (request) => {
    const event = await catalog.find(request.params.id);
    return publicEventView(event, await catalog.figuresOf(event), Date.now());
  });

  /** Every answer of a claim goes through here once: counted, and logged when notable. */
  function answered(request: FastifyRequest, eventId: string, outcome: ClaimOutcome, claimId?: string): void {
    const total = outcomes.record(eventId, outcome);
    // One line per claim would drown a drop's logs; it is there for whoever asks for debug.
    if (isDebugOn(request.log.level)) request.log.debug({ eventId, outcome, claimId }, 'claim answered');
    if (outcome === 'sold_out' && total === 1) request.log.info({ eventId }, 'event sold out');
  }

  const claimRoute = {
    schema: eventParams,
    // Errors (a body Fastify refused, no user, the rate limit, an outage) are answered by handleError;
    // they are counted here, where every error of this route passes, from parsing to the handler.
    onError: async (request: FastifyRequest<{ Params: { id: string } }>, _reply: unknown, error: unknown) => {
      const outcome = claimOutcomeOfError(error);
      if (outcome) answered(request, request.params.id, outcome);
    },
  };

  app.post<{ Params: { id: string } }>('/events/:id/claims', claimRoute, async (request, reply) => {
    const userId = await auth.userOf(request);
    const idempotencyKey = idempotencyKeyOf(request);
    if (rateLimiter && !rateLimiter.allow(userId)) {
      throw new AppError('RATE_LIMITED', 'Too many claims from this user; try again in a second.');
    }
    const eventId = request.params.id;
    // A keyed claim may be the retry of one admitted before the sell-out or the end: only the gate knows.
    const remembered = idempotencyKey === undefined ? verdicts.get(eventId) : undefined;
    if (remembered) {
      fastPathBy[remembered].inc();
      answered(request, eventId, outcomeOfRejection[remembered]);
      return sendRejection(reply, remembered);
    }
    const claim = { eventId, userId, claimId: randomUUID(), idempotencyKey };
    const askedAtMs = verdicts.now();
    let admission = await admit(claim);
    if (admission.kind === 'NO_EVENT') {
      await catalog.loadIntoGate(await catalog.find(eventId));
      admission = await admit(claim);
    }
    switch (admission.kind) {
      case 'ADMITTED':
      case 'REPLAYED': {
        const claimId = admission.kind === 'REPLAYED' ? admission.claimId : claim.claimId;
        answered(request, eventId, 'admitted', claimId);
        return reply.code(202).send({ claimId, eventId, userId, status: 'pending' });
      }
      case 'NO_EVENT':
        throw new AppError('GATE_UNAVAILABLE', `event ${eventId} is not in the gate after loading it`);
      case 'TOKEN_USED':
        throw new AppError('FORBIDDEN', 'This admission token has been used for all its claims.');
      case 'SOLD_OUT':
      case 'ENDED':
        verdicts.remember(eventId, admission.kind, { generation: admission.generation, askedAtMs });
        break;
    }
    answered(request, eventId, outcomeOfRejection[admission.kind]);
    return sendRejection(reply, admission.kind);
  });

  app.get<{ Params: { id: string } }>('/events/:id/claims/me', { schema: eventParams }, async (request) => {
    const userId = await auth.userOf(request);
    const event = await catalog.find(request.params.id);
    const [held, coupons, failures] = await Promise.all([
      gate.listHeldClaims(event.id, userId),
      store.findUserCoupons(event.id, userId),
      store.findUserFailures(event.id, userId),
    ]);
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
