import { eventDefinition } from '../../test/fixtures/tickets.ts';
import { describe, expect, it } from 'vitest';
import type { EventDefinition } from '../claim.ts';
import { randomId } from '../../test/fixtures/basics.ts';
import { usePrivateRedis } from '../../test/fixtures/datastores.ts';
import { createGate } from './gate.ts';
import { gateKeys } from './keys.ts';

const anEvent = (id: string, overrides: Partial<EventDefinition> = {}) =>
  eventDefinition(id, { stock: 10, ...overrides });

describe('end-event', () => {
  // A Redis of its own: a relay on the shared one would drain the outboxes these tests count.
  const r = usePrivateRedis();

  it('answers ENDED, not NOT_STARTED, for a closed event that has not started', async () => {
    const gate = createGate(r.redis);
    const eventId = r.eventId();
    await gate.loadEvent(anEvent(eventId, { startsAt: new Date(Date.now() + 3_600_000) }));
    expect((await gate.admitClaim({ eventId, userId: 'u', claimId: randomId('c') })).kind).toBe('NOT_STARTED');
    expect(await gate.endEvent(eventId, Date.now())).toBe(true);
    expect((await gate.admitClaim({ eventId, userId: 'u', claimId: randomId('c') })).kind).toBe('ENDED');
    expect(await r.redis.exists(gateKeys(eventId).outbox)).toBe(0);
  });

  it("ends at Redis's time when the close time comes from a clock ahead of it, so no claim is admitted after it", async () => {
    const gate = createGate(r.redis);
    const eventId = r.eventId();
    await gate.loadEvent(anEvent(eventId));
    // PostgreSQL's clock an hour ahead of Redis's: the close must still end the event now.
    expect(await gate.endEvent(eventId, Date.now() + 3_600_000)).toBe(true);
    expect((await gate.admitClaim({ eventId, userId: 'u', claimId: randomId('c') })).kind).toBe('ENDED');
    const window = await gate.readWindow(eventId);
    expect(window?.endsAtMs).toBeLessThanOrEqual(Date.now());
    expect(await r.redis.exists(gateKeys(eventId).outbox)).toBe(0);
  });

  it('keeps an earlier end', async () => {
    const gate = createGate(r.redis);
    const eventId = r.eventId();
    const endsAt = new Date(Date.now() - 60_000);
    await gate.loadEvent(anEvent(eventId, { startsAt: new Date(Date.now() - 120_000), endsAt }));
    expect(await gate.endEvent(eventId, Date.now())).toBe(true);
    expect(await gate.readWindow(eventId)).toEqual({ startsAtMs: expect.any(Number), endsAtMs: endsAt.getTime() });
    expect(await gate.endEvent(r.eventId(), Date.now())).toBe(false);
    expect(await gate.readWindow(r.eventId())).toBeUndefined();
  });
});
