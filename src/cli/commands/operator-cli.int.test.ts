import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, randomId } from '../../../test/fixtures/basics.ts';
import { spawnApi, spawnFirstcome } from '../../../test/fixtures/processes.ts';
import { startPrivateRedis, useDatabase, useRedis } from '../../../test/fixtures/datastores.ts';
import { testedStoreKinds } from '../../../test/fixtures/databases.ts';
import type { AdmittedClaim } from '../../claim.ts';

type Api = Awaited<ReturnType<typeof spawnApi>>;

/** Runs `firstcome <args>` as an operator would, and waits for it to exit. */
async function firstcome(args: string[], env: Record<string, string>) {
  const proc = spawnFirstcome(args, env);
  const code = await proc.exited;
  return { code, output: proc.output() };
}

/** The JSON answer of a `--json` command: its last line (log lines, if any, go before it on stderr). */
const jsonOf = <T>(output: string): T => JSON.parse(output.trim().split('\n').at(-1) ?? '') as T;

// A Redis of its own: relays running on the shared one would carry these claims off to other tests' topics.
const redisServer = await startPrivateRedis();
afterAll(async () => redisServer.stop());

describe.each(testedStoreKinds())('firstcome events and firstcome failed on %s', (kind) => {
  const t = useDatabase(kind);
  const r = useRedis(redisServer.url);
  let api: Api;
  let env: Record<string, string>;

  beforeAll(async () => {
    api = await spawnApi({ DATABASE_URL: t.url, REDIS_URL: redisServer.url });
    env = { FIRSTCOME_URL: api.baseUrl, DATABASE_URL: t.url, REDIS_URL: redisServer.url };
  });
  afterAll(async () => api.kill());

  const claim = (eventId: string, userId: string) =>
    fetch(`${api.baseUrl}/events/${eventId}/claims`, { method: 'POST', headers: { 'x-user-id': userId } });

  it('creates, lists, shows and closes an event through the admin API, as tables or JSON', async () => {
    const id = r.eventId();
    const created = await firstcome(
      ['events', 'create', '--id', id, '--name', 'CLI drop', '--stock', '3', '--per-user-limit', '2'],
      env,
    );
    expect(created.code, created.output).toBe(0);
    expect(created.output).toMatch(new RegExp(`^id\\s+${id}$`, 'm'));
    expect(created.output).toMatch(/^stock\s+3$/m);

    expect((await claim(id, 'ann')).status).toBe(202);
    expect((await claim(id, 'bob')).status).toBe(202);

    const listed = await firstcome(['events', 'list'], env);
    expect(listed.code).toBe(0);
    const lines = listed.output.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+STATE\s+STOCK\s+ADMITTED\s+ISSUED\s+PENDING\s+FAILED\s+REMAINING$/);
    expect(lines.find((line) => line.startsWith(id))).toMatch(
      new RegExp(`^${id}\\s+CLI drop\\s+open\\s+3\\s+2\\s+0\\s+2\\s+0\\s+1$`),
    );

    const shown = await firstcome(['events', 'show', id, '--json'], env);
    expect(jsonOf(shown.output)).toMatchObject({ id, admitted: 2, remaining: 1, pending: 2, state: 'open' });

    const closed = await firstcome(['events', 'close', id, '--json'], env);
    expect(jsonOf(closed.output)).toMatchObject({ id, state: 'ended', closedAt: expect.any(String) });
    expect((await claim(id, 'cy')).status).toBe(409);
  });

  it('waits for a drop to land and gives up, exit code 1, when nothing writes the coupons', async () => {
    const id = r.eventId();
    expect((await firstcome(['events', 'create', '--id', id, '--name', 'W', '--stock', '5'], env)).code).toBe(0);
    const nothingAdmitted = await firstcome(['events', 'show', id, '--wait', '--json'], env);
    expect(nothingAdmitted.code).toBe(0);
    expect(jsonOf(nothingAdmitted.output)).toMatchObject({ pending: 0 });
    expect((await claim(id, 'ann')).status).toBe(202);
    // Only the API runs in this test, no relay or worker: the admitted claim stays pending.
    const stuck = await firstcome(['events', 'close', id, '--wait', '--timeout-seconds', '1'], env);
    expect(stuck.code).toBe(1);
    expect(stuck.output).toContain('1 admitted claims of');
    expect(stuck.output).not.toContain('    at ');
  });

  it('says in one line what went wrong: a bad flag exits 2, an unreachable API or a refusal exits 1', async () => {
    const badFlag = await firstcome(['events', 'create', '--stock', 'many', '--name', 'x'], env);
    expect(badFlag.code).toBe(2);
    expect(badFlag.output).toContain('--stock: must be a positive integer');

    const down = await firstcome(['events', 'list'], { ...env, FIRSTCOME_URL: `http://127.0.0.1:${await freePort()}` });
    expect(down.code).toBe(1);
    expect(down.output).toMatch(/^firstcome events: cannot reach the API at http:\/\/127\.0\.0\.1:\d+/);

    const missing = await firstcome(['events', 'show', randomId('nope')], env);
    expect(missing.code).toBe(1);
    expect(missing.output).toMatch(/^firstcome events: 404 event_not_found: /);

    const wrongToken = await firstcome(['events', 'list'], { ...env, ADMIN_TOKEN: 'not-the-admin-token-at-all' });
    expect(wrongToken.code).toBe(1);
    expect(wrongToken.output).toContain('401 unauthenticated');
  });

  it('lists failed claims from the database and retries them with one pass of the retry job', async () => {
    const eventId = r.eventId();
    await t.store.insertEvent({ id: eventId, name: 'F', stock: 10, perUserLimit: 1, startsAt: null, endsAt: null });
    const failed = (seq: number): AdmittedClaim => ({
      claimId: randomId('claim'),
      eventId,
      userId: `user-${seq}`,
      seq,
      slot: 1,
      admittedAtMs: Date.now(),
    });
    const claims = [failed(1), failed(2), failed(3)];
    await t.store.recordFailedClaims(
      claims.map((claim) => ({ claim, reason: 'db_unavailable: the database was down' })),
    );

    const listed = await firstcome(['failed', 'list', '--event', eventId], env);
    expect(listed.code, listed.output).toBe(0);
    expect(listed.output.split('\n')[0]).toMatch(/^CLAIM\s+EVENT\s+USER\s+STATE\s+ATTEMPTS\s+NEXT\s+REASON$/);
    for (const c of claims) {
      expect(listed.output).toMatch(new RegExp(`^${c.claimId}\\s+${eventId}\\s+${c.userId}\\s+retrying\\s+1`, 'm'));
    }

    const retried = await firstcome(['failed', 'retry', '--event', eventId, '--json'], env);
    expect(retried.code, retried.output).toBe(0);
    expect(jsonOf(retried.output)).toMatchObject({ selected: 3, issued: 3 });
    expect(await t.store.countCoupons(eventId)).toBe(3);

    const after = await firstcome(['failed', 'list', '--event', eventId, '--state', 'issued', '--json'], env);
    expect(jsonOf<Array<{ state: string }>>(after.output).map((c) => c.state)).toEqual(['issued', 'issued', 'issued']);
    expect((await firstcome(['failed', 'list', '--event', eventId], env)).output).toBe('no failed claims\n');
  });
});
