import { describe, expect, it } from 'vitest';
import { randomId } from '../../test/fixtures/basics.ts';
import { useDatabase } from '../../test/fixtures/datastores.ts';
import { testedStoreKinds } from '../../test/fixtures/databases.ts';
import type { AdmittedClaim } from '../claim.ts';
import { writeClaims } from './claim-writer.ts';

const claimOf = (eventId: string, seq: number): AdmittedClaim => ({
  claimId: randomId('c'),
  eventId,
  userId: `u${seq}`,
  seq,
  slot: 1,
  admittedAtMs: Date.now(),
});

describe.each(testedStoreKinds())('writeClaims on %s', (kind) => {
  const t = useDatabase(kind);

  it('promise 3: issues the good claims, records refusals and poison as failed, and stores a redelivered batch once', async () => {
    const eventId = randomId('ev');
    await t.store.insertEvent({ id: eventId, name: 'writer', stock: 3, perUserLimit: 1, startsAt: null, endsAt: null });
    const good = [1, 2, 3].map((seq) => claimOf(eventId, seq));
    const beyondStock = claimOf(eventId, 4);
    const poison = { claim: { ...claimOf('', 0), slot: 0 }, reason: 'poison: missing or invalid eventId' };
    const batch = { claims: [...good, beyondStock], poison: [poison] };

    const first = await writeClaims(t.store, batch);
    expect(first.issued).toBe(3);
    expect(first.failures.map((f) => [f.claim.claimId, f.reason.split(':')[0]])).toEqual([
      [poison.claim.claimId, 'poison'],
      [beyondStock.claimId, 'beyond_stock'],
    ]);
    const again = await writeClaims(t.store, batch);
    expect([again.issued, again.duplicates]).toEqual([0, 3]);

    expect(await t.store.countCoupons(eventId)).toBe(3);
    const failed = (await t.probe.failedClaims()).map(({ claim_id, attempts }) => ({ claim_id, attempts }));
    expect(failed).toEqual(
      [poison.claim.claimId, beyondStock.claimId].sort().map((claim_id) => ({ claim_id, attempts: 1 })),
    );
  });
});
