import { beforeAll, describe, expect, it } from 'vitest';
import { generateAdmissionKey } from '../src/admission-keys.ts';
import { adminToken, randomId, waitFor } from './fixtures/basics.ts';
import { testedStoreKinds } from './fixtures/databases.ts';
import { usePipeline } from './fixtures/pipeline.ts';
import type { ApiProcess } from './fixtures/processes.ts';
import { type ClaimAnswer, expectPromisesHold, waitForCoupons } from './fixtures/promises.ts';

interface QueueView {
  state: string;
  position?: number;
  token?: string;
}

/** Every API process of a deployment signs and verifies with the same keys. */
const admissionKeys = JSON.stringify([generateAdmissionKey()]);

const call = async (api: ApiProcess, method: string, path: string, headers: Record<string, string> = {}) => {
  const response = await fetch(`${api.baseUrl}${path}`, { method, headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe.each(testedStoreKinds())('a queued drop through API, relay, Kafka and worker processes, on %s', (kind) => {
  const p = usePipeline(() => ({ ADMISSION_KEYS: admissionKeys }), { store: kind });
  const apis: ApiProcess[] = [];

  beforeAll(async () => {
    apis.push(p.api, await p.spawnApi());
    p.spawn('relay');
    p.spawn('worker');
  });

  it('admits only with a turn, and every promise still holds: 400 users in the pre-queue race for 150 coupons, 2 each', async () => {
    p.processes.dumpOnFailure();
    const eventId = randomId('ev');
    const [stock, perUserLimit] = [150, 2];
    const startsAt = new Date(Date.now() + 4000);
    const created = await fetch(`${apis[0]!.baseUrl}/admin/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        id: eventId,
        name: 'queued drop',
        stock,
        perUserLimit,
        startsAt: startsAt.toISOString(),
        queue: { prequeueAt: new Date().toISOString(), admitPerSecond: 1000, tokenTtlSeconds: 120 },
      }),
    });
    expect(created.status).toBe(201);

    const users = Array.from({ length: 400 }, (_, i) => `q-user-${i}`);
    const apiOf = (i: number) => apis[i % apis.length]!;
    const joins = await Promise.all(
      users.map((u, i) => call(apiOf(i), 'POST', `/events/${eventId}/queue`, { 'x-user-id': u })),
    );
    expect(joins.map((j) => [j.status, j.body.state])).toEqual(users.map(() => [202, 'prequeue']));

    // A claim without a turn admits nothing, before the start and after it.
    expect((await call(apis[0]!, 'POST', `/events/${eventId}/claims`, { 'x-user-id': users[0]! })).status).toBe(401);

    const views = new Map<string, QueueView>();
    await waitFor(
      'every user to have had a turn or to hear the drop sold out',
      async () => {
        const pending = users.filter((u) => !['your_turn', 'sold_out'].includes(views.get(u)?.state ?? ''));
        await Promise.all(
          pending.map(async (u, i) => {
            const me = await call(apiOf(i), 'GET', `/events/${eventId}/queue/me`, { 'x-user-id': u });
            expect(me.status).toBe(200);
            views.set(u, me.body as unknown as QueueView);
          }),
        );
        return pending.length === 0;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    const positions = users.map((u) => views.get(u)!.position).filter((n) => n !== undefined);
    expect(new Set(positions).size).toBe(positions.length);
    expect((await call(apis[1]!, 'POST', `/events/${eventId}/claims`, { 'x-user-id': users[0]! })).status).toBe(401);

    // Another user's token is refused, and admits nothing.
    const [first, second] = users.filter((u) => views.get(u)?.token);
    const stolen = await call(apis[0]!, 'POST', `/events/${eventId}/claims`, {
      'x-user-id': second!,
      'x-admission-token': views.get(first!)!.token!,
    });
    expect(stolen.status).toBe(403);

    // Each user with a turn claims one more time than the limit allows, through both processes.
    const answers: ClaimAnswer[] = [];
    await Promise.all(
      users.map(async (userId, i) => {
        const token = views.get(userId)?.token;
        if (!token) return;
        for (let attempt = 0; attempt <= perUserLimit; attempt++) {
          const answer = await call(apiOf(i + attempt), 'POST', `/events/${eventId}/claims`, {
            'x-user-id': userId,
            'x-admission-token': token,
          });
          expect([202, 409]).toContain(answer.status);
          answers.push({
            status: answer.status,
            userId,
            ...(answer.body.claimId ? { claimId: String(answer.body.claimId) } : {}),
          });
        }
      }),
    );
    const admitted = answers.filter((a) => a.status === 202);
    expect(admitted).toHaveLength(stock);
    await waitForCoupons(p.t.store, eventId, stock);
    await expectPromisesHold(p.t.probe, eventId, { stock, perUserLimit, admitted });

    // The stock is gone: a user who got nothing hears so.
    const emptyHanded = users.find((u) => !admitted.some((a) => a.userId === u))!;
    const late = await call(apis[0]!, 'GET', `/events/${eventId}/queue/me`, { 'x-user-id': emptyHanded });
    expect(late.body.state).toBe('sold_out');
  });
});
