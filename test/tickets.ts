import type { AdmittedClaim, EventDefinition } from '../src/claim.ts';
import type { Database } from '../src/store/database.ts';
import { insertEvent } from '../src/store/events.ts';
import { recordFailedClaims } from '../src/store/failed-claims.ts';
import { insertCoupons } from '../src/store/insert-coupons.ts';
import { createGate, type Gate } from '../src/gate/gate.ts';
import type { GateRedis } from '../src/gate/redis.ts';
import { randomId } from './harness.ts';

/** An open event, stored and loaded into the gate, for tests that drive tickets by hand. */
export async function openEvent(
  db: Database,
  redis: GateRedis,
  id: string,
  { stock, perUserLimit = 1 }: { stock: number; perUserLimit?: number },
): Promise<{ event: EventDefinition; gate: Gate }> {
  const event = await insertEvent(db, { id, name: 'drop', stock, perUserLimit, startsAt: null, endsAt: null });
  const gate = createGate(redis);
  await gate.loadEvent(event);
  return { event, gate };
}

/** Admits one claim through the gate's script, as the API does; throws when the gate refuses it. */
export async function admitOne(gate: Gate, eventId: string, userId: string): Promise<AdmittedClaim> {
  const claimId = randomId('c');
  const admission = await gate.admitClaim({ eventId, userId, claimId });
  if (admission.kind !== 'ADMITTED') throw new Error(`${userId} was not admitted: ${admission.kind}`);
  return { claimId, eventId, userId, seq: admission.seq, slot: admission.slot, admittedAtMs: Date.now() };
}

/** What the worker does with a batch: coupons, and the refused claims into failed_claims. */
export async function deliverClaims(db: Database, claims: AdmittedClaim[]) {
  const result = await insertCoupons(db, claims);
  await recordFailedClaims(db, result.refused);
  return result;
}
