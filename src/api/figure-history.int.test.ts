import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, waitFor } from '../../test/fixtures/basics.ts';
import { buildTestApp } from '../../test/fixtures/app.ts';
import { useDatabase, usePrivateRedis } from '../../test/fixtures/datastores.ts';
import { admitOne, deliverClaims, openEvent } from '../../test/fixtures/tickets.ts';
import type { FigureHistory } from './figure-history.ts';

const admin = { authorization: `Bearer ${adminToken}` };

describe("the dashboard's server side: the last hour of figures, and failed claims with retry", () => {
  const t = useDatabase('postgres');
  const r = usePrivateRedis();
  let app: FastifyInstance;

  beforeAll(async () => {
    app = buildTestApp(t.store, r.gate);
    await app.ready();
  });
  afterAll(async () => app.close());

  const get = (url: string, headers: Record<string, string> = admin) => app.inject({ method: 'GET', url, headers });

  it('samples a live event with nobody watching, and answers its points and last frame to a page that opens later', async () => {
    const { event, gate } = await openEvent(t.store, r.gate, r.eventId(), { stock: 10 });
    const claims = [await admitOne(gate, event.id, 'alice'), await admitOne(gate, event.id, 'bob')];
    await deliverClaims(t.store, claims.slice(0, 1));

    const history = await waitFor('two samples of the event after its claims', async () => {
      const answer = (await get(`/admin/events/${event.id}/history`)).json<FigureHistory>();
      return answer.points.filter((p) => p.admitted === 2 && p.issued === 1).length >= 2 && answer;
    });
    expect(history.points.at(-1)).toEqual({
      atMs: expect.any(Number),
      admitted: 2,
      issued: 1,
      outboxBacklog: 2,
      kafkaLag: null,
      failedRetrying: 0,
      failedDead: 0,
    });
    const times = history.points.map((p) => p.atMs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(history.last).toMatchObject({ event: { id: event.id, stock: 10 }, admitted: 2, issued: 1, remaining: 8 });
    expect(history.last?.rates).toEqual(expect.objectContaining({ admittedPerSec: expect.any(Number) }));
  });

  it('is an admin route: 401 without the token, 404 for an unknown event', async () => {
    expect((await get(`/admin/events/${r.eventId()}/history`, {})).statusCode).toBe(401);
    expect((await get(`/admin/events/${r.eventId()}/history`)).json()).toMatchObject({ error: 'event_not_found' });
    expect((await get(`/admin/events/${r.eventId()}/failed-claims`)).statusCode).toBe(404);
  });

  it("lists an event's failed claims and makes the waiting ones due at once; dead ones stay dead", async () => {
    const { event, gate } = await openEvent(t.store, r.gate, r.eventId(), { stock: 5 });
    const [waiting, dead] = [await admitOne(gate, event.id, 'carol'), await admitOne(gate, event.id, 'dave')];
    await t.store.recordFailedClaims([
      { claim: waiting, reason: 'refused: database down' },
      { claim: dead, reason: 'refused: bad data' },
    ]);
    await t.store.recordRetryOutcomes([
      {
        claimId: waiting.claimId,
        state: 'retrying',
        attempts: 1,
        reason: 'refused: database down',
        delayMs: 3_600_000,
      },
      { claimId: dead.claimId, state: 'dead', attempts: 8, reason: 'refused: bad data', delayMs: 0 },
    ]);

    const listed = (await get(`/admin/events/${event.id}/failed-claims`)).json<{
      claims: Array<{ claimId: string; state: string; nextAttemptAt: string }>;
      counts: { retrying: number; dead: number };
    }>();
    expect(listed.counts).toMatchObject({ retrying: 1, dead: 1 });
    expect(listed.claims.map((c) => [c.claimId, c.state]).sort()).toEqual(
      [
        [waiting.claimId, 'retrying'],
        [dead.claimId, 'dead'],
      ].sort(),
    );
    const dueBefore = Date.parse(listed.claims.find((c) => c.claimId === waiting.claimId)!.nextAttemptAt);

    const retry = await app.inject({
      method: 'POST',
      url: `/admin/events/${event.id}/failed-claims/retry`,
      headers: admin,
    });
    expect(retry.json()).toEqual({ due: 1 });
    const after = (await t.store.listFailedClaims({ eventId: event.id })).map((c) => [
      c.claimId,
      c.state,
      c.nextAttemptAt,
    ]);
    const due = after.find(([claimId]) => claimId === waiting.claimId)!;
    expect((due[2] as Date).getTime()).toBeLessThan(dueBefore);
    expect(after.find(([claimId]) => claimId === dead.claimId)![1]).toBe('dead');

    const bad = await app.inject({
      method: 'POST',
      url: `/admin/events/${event.id}/failed-claims/retry`,
      headers: admin,
      payload: { claimIds: [] },
    });
    expect(bad.json()).toMatchObject({ error: 'invalid_request' });
  });
});
