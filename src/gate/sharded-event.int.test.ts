import { eventDefinition } from '../../test/fixtures/tickets.ts';
import { describe, expect, it } from 'vitest';
import type { EventDefinition } from '../claim.ts';
import { randomId } from '../../test/fixtures/basics.ts';
import { testClusterNodes, usePrivateRedis } from '../../test/fixtures/datastores.ts';
import { layoutOf } from './event-layout.ts';
import { type Admission, createGate, type Gate, type UserTicket } from './gate.ts';
import { activeEventsKey } from './keys.ts';
import { isCluster, nodeClientFor } from './redis.ts';
import { homeShard } from './shards.ts';

const aShardedEvent = (id: string, overrides: Partial<EventDefinition> = {}) =>
  eventDefinition(id, { stock: 1000, shards: 3, ...overrides });

const countBy = (admissions: Admission[]) =>
  admissions.reduce<Record<string, number>>((counts, a) => ({ ...counts, [a.kind]: (counts[a.kind] ?? 0) + 1 }), {});

const ticketsOf = (admissions: Admission[]) =>
  admissions.flatMap((a) => (a.kind === 'ADMITTED' ? [a.seq] : [])).sort((a, b) => a - b);

const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** `count` user ids homed on `shard` of a `shards`-shard event. */
function usersOn(shard: number, shards: number, count: number, prefix = 'u'): string[] {
  const users: string[] = [];
  for (let i = 0; users.length < count; i++) {
    if (homeShard(`${prefix}${i}`, shards) === shard) users.push(`${prefix}${i}`);
  }
  return users;
}

const claimAll = (gate: Gate, eventId: string, users: string[]) =>
  Promise.all(users.map((userId) => gate.admitClaim({ eventId, userId, claimId: randomId('c') })));

describe('a sharded event (docs/scaling.md)', () => {
  const r = usePrivateRedis();

  it('promise 1 over 3 shards: 5,000 users race for 1,000 coupons, and exactly tickets 1..1000 are admitted', async () => {
    const gate = createGate(r.redis);
    const eventId = r.eventId();
    await gate.loadEvent(aShardedEvent(eventId));
    const admissions = await claimAll(
      gate,
      eventId,
      Array.from({ length: 5000 }, (_, i) => `u${i}`),
    );
    expect(countBy(admissions)).toEqual({ ADMITTED: 1000, SOLD_OUT: 4000 });
    expect(ticketsOf(admissions)).toEqual(oneTo(1000));
    expect(await gate.readFigures(eventId)).toMatchObject({ stock: 1000, admitted: 1000 });
    // Each shard admitted into its own outbox, all of them on the relays' list.
    const layout = layoutOf(eventId, 3);
    const lengths = await Promise.all(layout.shardKeys.map((k) => r.redis.xLen(k.outbox)));
    expect(lengths.reduce((a, b) => a + b)).toBe(1000);
    expect(await gate.readOutboxFigures(eventId)).toMatchObject({ length: 1000 });
    for (const tag of layout.tags) expect(await r.redis.sIsMember(activeEventsKey, tag)).toBe(1);
  });

  it('promise 4, the tail: when only users of one shard still claim, they get every ticket the others leased', async () => {
    const gate = createGate(r.redis);
    const eventId = r.eventId();
    await gate.loadEvent(aShardedEvent(eventId, { stock: 300 }));
    // Users of every shard take half, so that each shard holds a lease...
    const early = await claimAll(
      gate,
      eventId,
      [0, 1, 2].flatMap((shard) => usersOn(shard, 3, 50, `e${shard}-`)),
    );
    expect(countBy(early)).toEqual({ ADMITTED: 150 });
    // ...then only users homed on shard 2 come, one after the other: no ticket stays stranded elsewhere.
    const late: Admission[] = [];
    for (const userId of usersOn(2, 3, 200, 'late-')) {
      late.push(await gate.admitClaim({ eventId, userId, claimId: randomId('c') }));
    }
    expect(countBy(late)).toEqual({ ADMITTED: 150, SOLD_OUT: 50 });
    expect(ticketsOf([...early, ...late])).toEqual(oneTo(300));
    // Sold out means the whole event: a user of another shard hears it too.
    const [other] = usersOn(0, 3, 1, 'other-');
    expect((await gate.admitClaim({ eventId, userId: other!, claimId: randomId('c') })).kind).toBe('SOLD_OUT');
  });

  it('promise 2: one user on a sharded event gets at most perUserLimit claims, on their home shard', async () => {
    const gate = createGate(r.redis);
    const eventId = r.eventId();
    await gate.loadEvent(aShardedEvent(eventId, { perUserLimit: 2 }));
    const admissions = await claimAll(gate, eventId, Array(10).fill('alice') as string[]);
    expect(countBy(admissions)).toEqual({ ADMITTED: 2, LIMIT_REACHED: 8 });
    expect(await gate.listHeldClaims(eventId, 'alice')).toHaveLength(2);
  });

  it("promise 4: a dead claim's ticket on a leasing shard goes to whoever claims next, whatever their shard", async () => {
    const gate = createGate(r.redis);
    const eventId = r.eventId();
    await gate.loadEvent(aShardedEvent(eventId, { stock: 30 }));
    const admissions = await claimAll(
      gate,
      eventId,
      oneTo(60).map((i) => `u${i}`),
    );
    expect(countBy(admissions)).toEqual({ ADMITTED: 30, SOLD_OUT: 30 });
    const users = oneTo(60).map((i) => `u${i}`);
    const leasingIndex = admissions.findIndex((a, i) => a.kind === 'ADMITTED' && homeShard(users[i]!, 3) !== 0);
    const dead = admissions[leasingIndex] as Extract<Admission, { kind: 'ADMITTED' }>;
    const claimId = (await gate.listHeldClaims(eventId, users[leasingIndex]!))[0]!.claimId;
    expect(await gate.returnTicket({ eventId, userId: users[leasingIndex]!, claimId, seq: dead.seq })).toBe(true);
    const homeOfDead = homeShard(users[leasingIndex]!, 3);
    const [next] = usersOn((homeOfDead + 1) % 3, 3, 1, 'next-');
    expect(await gate.admitClaim({ eventId, userId: next!, claimId: randomId('c') })).toMatchObject({
      kind: 'ADMITTED',
      seq: dead.seq,
    });
    expect((await gate.admitClaim({ eventId, userId: 'last', claimId: randomId('c') })).kind).toBe('SOLD_OUT');
  });

  it('loads a sharded event from the database: each holder on their home shard, the free tickets in the pool', async () => {
    const gate = createGate(r.redis);
    const eventId = r.eventId();
    const held: UserTicket[] = oneTo(40)
      .filter((seq) => seq % 4 !== 0)
      .map((seq) => ({ userId: `h${seq}`, claimId: `c${seq}`, slot: 1, seq }));
    expect(
      await gate.loadEvent(aShardedEvent(eventId, { stock: 50 }), async (onPage) => void (await onPage(held))),
    ).toBe(true);
    expect(await gate.readFigures(eventId)).toMatchObject({ admitted: 30 });
    for (const ticket of held) expect(await gate.listHeldClaims(eventId, ticket.userId)).toHaveLength(1);
    // The holders first: once the event is sold out, a holder hears that before the limit, as on one shard.
    const holders = await claimAll(
      gate,
      eventId,
      held.map((t) => t.userId),
    );
    expect(countBy(holders)).toEqual({ LIMIT_REACHED: 30 });
    const again = await claimAll(
      gate,
      eventId,
      oneTo(40).map((i) => `n${i}`),
    );
    expect(countBy(again)).toEqual({ ADMITTED: 20, SOLD_OUT: 20 });
    expect([...ticketsOf(again), ...held.map((t) => t.seq)].sort((a, b) => a - b)).toEqual(oneTo(50));
  });

  it('reloads after the pool is lost, keeping the claims the other shards hold, and never hands a ticket out twice', async () => {
    const gate = createGate(r.redis);
    const eventId = r.eventId();
    const event = aShardedEvent(eventId, { stock: 90 });
    await gate.loadEvent(event);
    const users = oneTo(60).map((i) => `u${i}`);
    const first = await claimAll(gate, eventId, users);
    const kept = first.filter((_, i) => homeShard(users[i]!, 3) !== 0);
    // Shard 0 (with the pool) is lost, as a Redis failover may lose it; the database holds nothing yet.
    await r.loseEvent(eventId);
    expect(await gate.loadEvent(event)).toBe(true);
    const second = await claimAll(
      gate,
      eventId,
      oneTo(100).map((i) => `v${i}`),
    );
    expect(ticketsOf([...kept, ...second])).toEqual(oneTo(90));
  });

  it('repairs a sharded event: claims land on their home shards, leases are counted free, and the stock adds up', async () => {
    const gate = createGate(r.redis);
    const eventId = r.eventId();
    const event = aShardedEvent(eventId, { stock: 60 });
    await gate.loadEvent(event);
    const users = oneTo(30).map((i) => `u${i}`);
    const admitted = await claimAll(gate, eventId, users);
    const holders = users.map((userId, i) => ({
      userId,
      admission: admitted[i] as Extract<Admission, { kind: 'ADMITTED' }>,
    }));
    const dropped = holders.slice(0, 5);
    const drop = await Promise.all(
      dropped.map(async ({ userId }) => ({
        userId,
        claimId: (await gate.listHeldClaims(eventId, userId))[0]!.claimId,
      })),
    );
    const repaired = await gate.repairEvent(event, { hold: [], drop });
    expect(repaired.admitted).toBe(25);
    const rest = await claimAll(
      gate,
      eventId,
      oneTo(60).map((i) => `w${i}`),
    );
    expect(countBy(rest)).toEqual({ ADMITTED: 35, SOLD_OUT: 25 });
    expect([...ticketsOf(rest), ...holders.slice(5).map((h) => h.admission.seq)].sort((a, b) => a - b)).toEqual(
      oneTo(60),
    );
  });

  it('makes "auto" one shard per master: 1 on a single Redis, 3 on the test cluster', async () => {
    expect(await createGate(r.redis).countMasters()).toBe(testClusterNodes() ? 3 : 1);
  });

  it.runIf(testClusterNodes() !== undefined)('places the shards of an event on distinct cluster masters', async () => {
    expect(isCluster(r.redis)).toBe(true);
    const layout = layoutOf(r.eventId(), 3);
    const nodes = await Promise.all(layout.shardKeys.map((k) => nodeClientFor(r.redis, k.event)));
    expect(new Set(nodes).size).toBe(3);
  });
});
