import { intBetween, pick, pickWeighted, shuffle, substream } from './prng.ts';

export const roleNames = ['serve-1', 'serve-2', 'relay-1', 'relay-2', 'worker-1', 'worker-2'] as const;
export type RoleName = (typeof roleNames)[number];

export const faultKinds = ['kill', 'pause', 'db-cut', 'redis-restart', 'kafka-restart'] as const;
export type FaultKind = (typeof faultKinds)[number];

/**
 * One fault of the schedule. `holdMs` is what the kind holds: kill, the wait before the restart; pause,
 * SIGSTOP to SIGCONT; db-cut, the outage; redis-restart and kafka-restart, the time down between stop and start.
 */
export interface PlannedFault {
  index: number;
  /** When it is due, from the start of the load; a fault starts late (and says so) while the one before it lasts. */
  atMs: number;
  kind: FaultKind;
  target: RoleName | 'redis' | 'kafka' | 'postgres';
  holdMs: number;
}

/** After every kind has had its turn once, kinds come at these odds. */
const weights: Record<FaultKind, number> = {
  kill: 30,
  pause: 25,
  'db-cut': 20,
  'redis-restart': 15,
  'kafka-restart': 10,
};

/** Roughly how long a fault keeps the injector busy beyond its hold (a Kafka restart runs in the background). */
const busyMs = (kind: FaultKind, holdMs: number) =>
  ({ kill: holdMs + 1500, pause: holdMs, 'db-cut': holdMs, 'redis-restart': holdMs + 1000, 'kafka-restart': 0 })[kind];

const seedStream = { plan: 1 } as const;

/**
 * The fault schedule of a run: a pure function of the seed and the window, so a failing seed brings the
 * same faults back in the same order at the same planned times. Every kind comes once first (in a seeded
 * order), so even a short run meets each; then they come at `weights`' odds, 2–5 s apart.
 */
export function planFaults(seed: number, windowMs: number): PlannedFault[] {
  const random = substream(seed, seedStream.plan);
  const firstRound = shuffle(random, [...faultKinds]);
  const plan: PlannedFault[] = [];
  let atMs = intBetween(random, 1500, 3000);
  for (let index = 0; atMs < windowMs && index < 10_000; index++) {
    const kind = firstRound[index] ?? pickWeighted(random, weights);
    let target: PlannedFault['target'];
    let holdMs: number;
    switch (kind) {
      case 'kill':
        target = pick(random, roleNames);
        holdMs = intBetween(random, 0, 1500);
        break;
      case 'pause':
        target = pick(random, [...roleNames, 'redis'] as const);
        holdMs = intBetween(random, 1500, 5000);
        break;
      case 'db-cut':
        target = 'postgres';
        holdMs = intBetween(random, 2000, 6000);
        break;
      case 'redis-restart':
        target = 'redis';
        holdMs = intBetween(random, 200, 1500);
        break;
      case 'kafka-restart':
        target = 'kafka';
        holdMs = intBetween(random, 0, 3000);
        break;
    }
    plan.push({ index, atMs, kind, target, holdMs });
    atMs += busyMs(kind, holdMs) + intBetween(random, 2000, 5000);
  }
  return plan;
}

export const describeFault = (f: PlannedFault) => {
  const hold = {
    kill: 'restart after',
    pause: 'for',
    'db-cut': 'for',
    'redis-restart': 'down',
    'kafka-restart': 'down',
  }[f.kind];
  return `${f.kind} ${f.target} (${hold} ${(f.holdMs / 1000).toFixed(1)} s)`;
};
