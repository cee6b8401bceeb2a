import { describe, expect, it } from 'vitest';
import { eventDefinition } from '../../test/fixtures/tickets.ts';
import { randomId, waitFor } from '../../test/fixtures/basics.ts';
import { usePrivateRedis } from '../../test/fixtures/datastores.ts';
import { createGate, type Gate, type QueuedEvent, turnAtMsOf } from './gate.ts';

const minute = 60_000;

/**
 * An event whose pre-queue is open now and whose opening is a minute away (the tests open it by hand),
 * loaded into the gate so that its clean-up finds every shard.
 */
async function aQueuedEvent(gate: Gate, id: string, shards = 1, perUserLimit = 1): Promise<QueuedEvent> {
  const event = { id, shards, prequeueAtMs: Date.now() - minute, startsAtMs: Date.now() + minute, endsAtMs: 0 };
  await gate.loadEvent(eventDefinition(id, { stock: 100, shards, perUserLimit }));
  return event;
}

const users = (count: number, prefix = 'u') => Array.from({ length: count }, (_, i) => `${prefix}${i}`);

async function joinInOrder(gate: Gate, event: QueuedEvent, userIds: string[]) {
  for (const userId of userIds) await gate.queue.join(event, userId);
}

async function positionsOf(gate: Gate, event: QueuedEvent, userIds: string[]): Promise<number[]> {
  return Promise.all(
    userIds.map(async (userId) => {
      const place = await gate.queue.placeOf(event, userId);
      if (typeof place !== 'object') throw new Error(`${userId} has no position: ${place}`);
      return place.position;
    }),
  );
}

/** Spearman's rank correlation of two rankings without ties (1..n each). */
function spearman(a: number[], b: number[]): number {
  const n = a.length;
  const squares = a.reduce((total, rank, i) => total + (rank - b[i]!) ** 2, 0);
  return 1 - (6 * squares) / (n * (n * n - 1));
}

const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** Advances until `check` holds of the window (each advance moves it by Redis's clock). */
const advanceUntil = (
  gate: Gate,
  event: QueuedEvent,
  pace: Parameters<Gate['queue']['advance']>[1],
  check: (window: number) => boolean,
) =>
  waitFor('the window', async () => {
    const state = await gate.queue.advance(event, pace);
    return state && check(state.window) ? state : undefined;
  });

describe('the queue (gate.queue)', () => {
  const r = usePrivateRedis();

  it('keeps one place per user: joining twice changes nothing', async () => {
    const gate = createGate(r.redis);
    const event = await aQueuedEvent(gate, r.eventId(), 3);
    expect(await gate.queue.join(event, 'alice')).toEqual({ joined: true, phase: 'prequeue' });
    expect(await gate.queue.join(event, 'alice')).toEqual({ joined: false, phase: 'prequeue' });
    expect(await gate.queue.placeOf(event, 'alice')).toBe('prequeue');
    expect(await gate.queue.placeOf(event, 'bob')).toBe('not_joined');
    const opening = await gate.queue.open(event);
    expect(opening).toEqual({ seed: expect.stringMatching(/^[0-9a-f]{64}$/), prequeued: 1, isFirst: true });
    expect(await gate.queue.open(event)).toEqual({ ...opening, isFirst: false });
    expect(await gate.queue.join(event, 'alice')).toEqual({ joined: false, phase: 'open' });
    expect(await gate.queue.placeOf(event, 'alice')).toEqual({ position: 1 });
    expect((await gate.queue.readState(event)).joined).toBe(1);
  });

  it('refuses joiners before prequeueAt', async () => {
    const gate = createGate(r.redis);
    const event = { ...(await aQueuedEvent(gate, r.eventId())), prequeueAtMs: Date.now() + minute };
    expect(await gate.queue.join(event, 'early')).toBe('not_started');
    expect(await gate.queue.placeOf(event, 'early')).toBe('not_joined');
  });

  for (const shards of [1, 3]) {
    it(`fairness, ${shards} shard(s): 2,000 pre-queue joiners in a known order get a random permutation; later joiners go behind, in arrival order`, async () => {
      const gate = createGate(r.redis);
      const event = await aQueuedEvent(gate, r.eventId(), shards);
      const early = users(2000);
      await joinInOrder(gate, event, early);
      const opened = await gate.queue.open(event);
      expect(opened.prequeued).toBe(2000);
      const late = users(20, 'late');
      await joinInOrder(gate, event, late);

      const positions = await positionsOf(gate, event, early);
      expect([...positions].sort((a, b) => a - b)).toEqual(oneTo(2000));
      const rho = spearman(oneTo(2000), positions);
      expect(Math.abs(rho)).toBeLessThan(0.1);
      expect(await positionsOf(gate, event, late)).toEqual(oneTo(20).map((i) => 2000 + i));
      // A place once computed is read back as it was.
      expect(await positionsOf(gate, event, early.slice(0, 50))).toEqual(positions.slice(0, 50));
    });
  }

  it("the order is the seed's: sha1(seed .. userId), which anyone can check once the seed is revealed", async () => {
    const { createHash } = await import('node:crypto');
    const gate = createGate(r.redis);
    const event = await aQueuedEvent(gate, r.eventId(), 3);
    const joiners = users(100);
    await joinInOrder(gate, event, joiners);
    const { seed } = await gate.queue.open(event);
    const scoreOf = (userId: string) =>
      parseInt(
        createHash('sha1')
          .update(seed + userId)
          .digest('hex')
          .slice(0, 13),
        16,
      );
    const expected = [...joiners].sort((a, b) => scoreOf(a) - scoreOf(b));
    const positions = await positionsOf(gate, event, joiners);
    const byPosition = joiners
      .map((userId, i) => ({ userId, position: positions[i]! }))
      .sort((a, b) => a.position - b.position);
    expect(byPosition.map((p) => p.userId)).toEqual(expected);
  });

  it('the window moves at the pace, not all at once, and never passes the joiners', async () => {
    const gate = createGate(r.redis);
    const event = await aQueuedEvent(gate, r.eventId(), 3);
    await joinInOrder(gate, event, users(2000));
    const pace = { admitPerSecond: 200, maxActive: null, tokenTtlSeconds: 300 };
    expect(await gate.queue.advance(event, pace)).toBeUndefined();
    await gate.queue.open(event);
    const first = await gate.queue.advance(event, pace);
    // At most a second's worth per advance, however long since the opening.
    expect(first!.window).toBeLessThanOrEqual(200);
    const fast = { ...pace, admitPerSecond: 100_000 };
    const full = await advanceUntil(gate, event, fast, (window) => window >= 2000);
    expect(full.window).toBe(2000);
    expect((await gate.queue.advance(event, fast))!.window).toBe(2000);
    // Later joiners get their turn from then on.
    await joinInOrder(gate, event, users(5, 'late'));
    expect((await advanceUntil(gate, event, fast, (window) => window >= 2005)).window).toBe(2005);
    const state = await gate.queue.readState(event);
    expect(state).toMatchObject({ window: 2005, joined: 2005, openedAtMs: expect.any(Number) });
    expect(turnAtMsOf(state.log, 2005)).toBeGreaterThanOrEqual(state.openedAtMs!);
    expect(turnAtMsOf(state.log, 2006)).toBeUndefined();
  });

  it('holds the window while maxActive turns are open, and moves on as their tokens are used', async () => {
    const gate = createGate(r.redis);
    const eventId = r.eventId();
    const event = await aQueuedEvent(gate, eventId);
    const joiners = users(10);
    await joinInOrder(gate, event, joiners);
    await gate.queue.open(event);
    const pace = { admitPerSecond: 100_000, maxActive: 3, tokenTtlSeconds: 300 };
    await advanceUntil(gate, event, pace, (window) => window >= 3);
    for (let i = 0; i < 5; i++) expect((await gate.queue.advance(event, pace))!.window).toBe(3);
    // Two of the three whose turn it is claim with their tokens: two more turns open.
    for (const userId of ['u0', 'u1']) {
      const admission = { jti: `jti-${userId}`, uses: 1 };
      expect(await gate.admitClaim({ eventId, userId, claimId: randomId('c'), admission })).toMatchObject({
        kind: 'ADMITTED',
      });
    }
    await advanceUntil(gate, event, pace, (window) => window >= 5);
    expect((await gate.queue.advance(event, pace))!.window).toBe(5);
    expect(await gate.queue.readState(event)).toMatchObject({ tokensUsed: 2, window: 5 });
  });

  it('a token is good for `uses` claims; a replay with its Idempotency-Key does not use it up', async () => {
    const gate = createGate(r.redis);
    const eventId = r.eventId();
    const event = await aQueuedEvent(gate, eventId, 1, 5);
    const admission = { jti: 'jti-alice', uses: 2 };
    const claim = (idempotencyKey: string) =>
      gate.admitClaim({ eventId, userId: 'alice', claimId: randomId('c'), idempotencyKey, admission });
    expect(await claim('k1')).toMatchObject({ kind: 'ADMITTED', slot: 1 });
    expect(await claim('k1')).toMatchObject({ kind: 'REPLAYED', slot: 1 });
    expect(await claim('k2')).toMatchObject({ kind: 'ADMITTED', slot: 2 });
    expect(await claim('k3')).toEqual({ kind: 'TOKEN_USED' });
    expect(await claim('k2')).toMatchObject({ kind: 'REPLAYED', slot: 2 });
    // Without a token (an event without a queue) nothing changes.
    expect(await gate.admitClaim({ eventId, userId: 'alice', claimId: randomId('c') })).toMatchObject({
      kind: 'ADMITTED',
      slot: 3,
    });
    expect(await gate.readFigures(eventId)).toMatchObject({ admitted: 3 });
    expect((await gate.queue.readState(event)).tokensUsed).toBe(1);
  });

  it('counts each user handed a token once', async () => {
    const gate = createGate(r.redis);
    const event = await aQueuedEvent(gate, r.eventId(), 3);
    expect(await gate.queue.countTokenIssued(event, 'alice')).toBe(true);
    expect(await gate.queue.countTokenIssued(event, 'alice')).toBe(false);
    expect(await gate.queue.countTokenIssued(event, 'bob')).toBe(true);
    expect((await gate.queue.readState(event)).tokensIssued).toBe(2);
  });
});
