import type { AdmittedClaim, EventDefinition } from '../src/claim.ts';
import type { Store } from '../src/store/store.ts';
import type { Gate } from '../src/gate/gate.ts';
import { randomId } from './harness.ts';

/** An open event, stored and loaded into the gate, for tests that drive tickets by hand. */
export async function openEvent(
  store: Store,
  gate: Gate,
  id: string,
  { stock, perUserLimit = 1 }: { stock: number; perUserLimit?: number },
): Promise<{ event: EventDefinition; gate: Gate }> {
  const event = await store.insertEvent({ id, name: 'drop', stock, perUserLimit, startsAt: null, endsAt: null });
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
export async function deliverClaims(store: Store, claims: AdmittedClaim[]) {
  const result = await store.insertCoupons(claims);
  await store.recordFailedClaims(result.refused);
  return result;
}
