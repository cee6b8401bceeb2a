import type { EventId, UserId } from '../claim.ts';
import { AppError } from '../errors.ts';
import { callGate } from './gate-call.ts';
import type { EventLayout } from './event-layout.ts';
import type { GateRedis } from './redis.ts';

export type Rejection = 'SOLD_OUT' | 'LIMIT_REACHED' | 'NOT_STARTED' | 'ENDED' | 'NO_EVENT';
export type Admission =
  | { kind: 'ADMITTED'; seq: number; slot: number }
  /** An earlier request with the same Idempotency-Key was admitted as `claimId`: its answer, again. */
  | { kind: 'REPLAYED'; seq: number; slot: number; claimId: string }
  /** Final for everyone until the event's `generation` moves on: a process may remember it (verdict-cache.ts). */
  | { kind: 'SOLD_OUT' | 'ENDED'; generation: number }
  | { kind: 'LIMIT_REACHED' | 'NOT_STARTED' | 'NO_EVENT' }
  /** The claim's admission token was used for as many claims as it is good for. */
  | { kind: 'TOKEN_USED' };

export interface ClaimRequest {
  eventId: EventId;
  userId: UserId;
  claimId: string;
  idempotencyKey?: string | undefined;
  /** For an event with a queue: the admission token's id, good for `uses` claims (the gate counts them). */
  admission?: { jti: string; uses: number } | undefined;
}

const plainRejections = new Set<string>(['LIMIT_REACHED', 'NOT_STARTED', 'NO_EVENT', 'TOKEN_USED']);

export function parseAdmission(reply: unknown): Admission | undefined {
  if (!Array.isArray(reply)) return undefined;
  const [kind, seq, slot, claimId] = reply as unknown[];
  if (kind === 'ADMITTED' && typeof seq === 'number' && typeof slot === 'number') return { kind, seq, slot };
  if (kind === 'REPLAYED' && typeof seq === 'number' && typeof slot === 'number' && typeof claimId === 'string') {
    return { kind, seq, slot, claimId };
  }
  if ((kind === 'SOLD_OUT' || kind === 'ENDED') && typeof seq === 'number') return { kind, generation: seq };
  if (typeof kind === 'string' && plainRejections.has(kind) && reply.length === 1) {
    return { kind: kind as 'LIMIT_REACHED' | 'NOT_STARTED' | 'NO_EVENT' | 'TOKEN_USED' };
  }
  return undefined;
}

/**
 * How long the gate keeps the claims admitted with an Idempotency-Key, so that a retry answers the same:
 * a day past the event's end, or, for an event without an end, a week after its last keyed claim.
 */
export const keyedClaimTtl = { afterEndMs: 86_400_000, withoutEndMs: 7 * 86_400_000 } as const;

/** Tickets the pool handed a shard: `lo`..`hi`, stamped with the pool's epoch (see surrender-lease.lua). */
interface Grant {
  epoch: number;
  lo: number;
  hi: number;
}

/*
 * A claim needs at most: a lease, a sweep and a lease again, a grant refused by another process's sweep,
 * and so on. Past this many steps the tickets are moving faster than this claim: it answers unavailable.
 */
const maxSteps = 8;

const paused = (eventId: EventId) =>
  new AppError('GATE_UNAVAILABLE', `event ${eventId} is paused for a repair; nothing was admitted`, {
    retryable: true,
  });

const badReply = (script: string, reply: unknown, eventId: EventId) =>
  new AppError('GATE_BAD_REPLY', `${script} returned ${JSON.stringify(reply)} for event ${eventId}`);

/**
 * A claim's way through a sharded gate (docs/scaling.md): one round trip to the user's home shard in the
 * common case; when a leasing shard's lease is empty, a lease from the pool and the claim again with the
 * grant; when the pool is dry, every shard's lease taken back first, so that `SOLD_OUT` means the whole
 * event is out. `onRestock` hears of tickets that came back after claims were told sold out.
 */
export function createClaimAdmission(
  redis: GateRedis,
  onRestock: (eventId: EventId) => Promise<void>,
  waitForReplicas?: (key: string, what: string) => Promise<void>,
) {
  const what = (eventId: EventId) => `admit-claim for event ${eventId}`;
  // One lease at a time per shard and process: the claims that find the lease empty meanwhile wait for it,
  // rather than each leasing a run of its own (a burst would lease the whole stock in its first round trip).
  // A lease that found the event sold out tells its waiters so (a verdict as fresh as the memory's).
  const refills = new Map<string, Promise<Admission | undefined>>();

  /** Takes every leasing shard's lease back into the pool, with the sweep's epoch. */
  async function sweep(layout: EventLayout, epoch: number): Promise<void> {
    const leases = await callGate(what(layout.eventId), () =>
      Promise.all(layout.shardKeys.map((k) => redis.surrenderLease([k.event, k.lease], [epoch]) as Promise<unknown>)),
    );
    const entries = leases.flatMap((lease) => (Array.isArray(lease) ? lease.map(String) : []));
    await giveBack(layout, 'sweep', epoch, entries);
  }

  async function giveBack(layout: EventLayout, kind: 'sweep' | 'grant', epoch: number, entries: string[]) {
    const reply = await callGate(what(layout.eventId), () =>
      redis.giveBack([layout.pool.event, layout.pool.returned], [kind, epoch, ...entries]),
    );
    if (Array.isArray(reply) && reply[1] === 1) await onRestock(layout.eventId);
  }

  const giveBackGrant = (layout: EventLayout, grant: Grant) =>
    giveBack(layout, 'grant', grant.epoch, [grant.lo === grant.hi ? String(grant.lo) : `${grant.lo}:${grant.hi}`]);

  /** A lease from the pool, or the pool's last word for the claim. */
  async function lease(layout: EventLayout): Promise<Grant | Admission | 'swept'> {
    const reply = await callGate(what(layout.eventId), () =>
      redis.leaseTickets([layout.pool.event, layout.pool.returned], []),
    );
    const [kind, first, lo, hi] = Array.isArray(reply) ? (reply as unknown[]) : [];
    if (kind === 'GRANT' && typeof first === 'number' && typeof lo === 'number' && typeof hi === 'number') {
      // A pool that fails over without the grant would grant the same tickets again.
      await waitForReplicas?.(layout.pool.event, `the lease of tickets ${lo}..${hi} of event ${layout.eventId}`);
      return { epoch: first, lo, hi };
    }
    if (kind === 'NEED_SWEEP' && typeof first === 'number') {
      await sweep(layout, first);
      return 'swept';
    }
    if (kind === 'PAUSED') throw paused(layout.eventId);
    const admission = parseAdmission(reply);
    if (admission) return admission;
    throw badReply('lease-tickets', reply, layout.eventId);
  }

  return async function admitClaim(layout: EventLayout, claim: ClaimRequest): Promise<Admission> {
    const k = layout.shardKeys[layout.homeOf(claim.userId)]!;
    const keys = [k.event, k.users, k.outbox, k.returned, k.keyedClaims, k.lease, k.jtis];
    const args = [
      claim.userId,
      claim.claimId,
      claim.idempotencyKey ?? '',
      keyedClaimTtl.afterEndMs,
      keyedClaimTtl.withoutEndMs,
    ];
    const tokenArgs = claim.admission ? [claim.admission.jti, claim.admission.uses] : ['', ''];
    let grant: Grant | undefined;
    let endRefill: ((outcome?: Admission) => void) | undefined;
    const finishRefill = (outcome?: Admission) => {
      endRefill?.(outcome);
      endRefill = undefined;
    };
    try {
      // Waiting for another claim's lease is no step of this one's: each wait ends another claim's step.
      for (let step = 0; step < maxSteps;) {
        const grantArgs = grant ? [grant.epoch, grant.lo, grant.hi] : ['', '', ''];
        const reply = await callGate(what(claim.eventId), () =>
          redis.admitClaim(keys, [...args, ...grantArgs, ...tokenArgs]),
        );
        // The grant is in the lease now (or given back below): the claims waiting for it may look.
        if (grant) finishRefill();
        const kind = Array.isArray(reply) ? (reply as unknown[])[0] : undefined;
        if (kind === 'NEED_TICKETS') {
          const pending = refills.get(k.lease);
          if (pending) {
            const outcome = await pending;
            if (outcome?.kind === 'SOLD_OUT') return outcome;
            continue;
          }
          step++;
          refills.set(
            k.lease,
            new Promise<Admission | undefined>((resolve) => {
              endRefill = (outcome) => {
                refills.delete(k.lease);
                resolve(outcome);
              };
            }),
          );
          const leased = await lease(layout);
          if (leased === 'swept') {
            finishRefill();
            continue;
          }
          if ('kind' in leased) {
            finishRefill(leased);
            return leased;
          }
          grant = leased;
          continue;
        }
        step++;
        // A grant is used only when the claim is admitted: any other answer gives it back.
        if (grant && kind !== 'ADMITTED') {
          await giveBackGrant(layout, grant);
          grant = undefined;
        }
        if (kind === 'GRANT_REFUSED') continue;
        if (kind === 'PAUSED') throw paused(claim.eventId);
        const admission = parseAdmission(reply);
        if (!admission) throw badReply('admit-claim', reply, claim.eventId);
        if (admission.kind === 'ADMITTED' || admission.kind === 'REPLAYED') {
          await waitForReplicas?.(k.event, `the admission of claim ${claim.claimId}`);
        }
        return admission;
      }
    } finally {
      finishRefill();
    }
    throw new AppError(
      'GATE_UNAVAILABLE',
      `event ${claim.eventId}'s tickets moved between shards faster than claim ${claim.claimId} could take one`,
      { retryable: true },
    );
  };
}

/**
 * Tells the pool that a dead claim's ticket went back into a shard's lease (return-ticket.lua), so
 * the next claim that finds the pool dry sweeps again rather than answer sold out.
 */
export async function reopenPool(redis: GateRedis, layout: EventLayout): Promise<void> {
  await redis.giveBack([layout.pool.event, layout.pool.returned], ['reopen', '']);
}
