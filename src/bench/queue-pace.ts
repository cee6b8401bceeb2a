import type { Logger } from 'pino';
import type { EventDefinition } from '../claim.ts';
import type { QueuePace } from '../gate/gate.ts';
import type { GateHandle } from '../gate/open-gate.ts';
import { startQueueScheduler } from '../roles/queue-scheduler.ts';

/** The window as one advance left it, stamped by Redis's clock (advance-queue.lua's own `now`). */
export interface WindowSample {
  atMs: number;
  window: number;
  /** Joiners over every shard when it was taken: the window must never pass them. */
  joined: number;
  /** How long the scheduler's advance call took, from this process: a long gap with quick calls is the tick's. */
  callMs: number;
}

/** How close the window kept to admitPerSecond, second by second, as a user polling at each second sees it. */
export interface PaceFigures {
  admitPerSecond: number;
  /** Turns that began in each whole second: floor(window) at its end minus at its start. */
  turnsPerSecond: number[];
  /** The mean over the seconds of |turns / admitPerSecond - 1|, in %. */
  meanErrorPct: number;
  /** The second furthest from the setting, signed (turns / admitPerSecond - 1, in %). */
  worstErrorPct: number;
  /** Turns over the whole run against admitPerSecond × seconds, signed, in %. */
  overallErrorPct: number;
  /** Between two advances, by Redis's clock: the scheduler's tick plus the time a tick takes. */
  tickMs: { mean: number; max: number };
  /** The slowest advance call (gate.queue.advance: the counts, then the script), from this process. */
  slowestAdvanceMs: number;
  /** Samples whose window passed the joiners (must be 0). */
  windowAboveJoined: number;
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/** The window a reader saw at `atMs`: the last sample taken no later. */
const windowAt = (samples: readonly WindowSample[], atMs: number): number => {
  let window = samples[0]!.window;
  for (const sample of samples) {
    if (sample.atMs > atMs) break;
    window = sample.window;
  }
  return Math.floor(window);
};

/** How long the samples must run for `paceFigures` over `seconds`: a second more, not counted (below). */
export const coveredMs = (seconds: number) => (seconds + 1) * 1000;

/**
 * The pace over `seconds` whole seconds, counted from a second after the first sample. That first second
 * is not counted: its start would be an advance itself, exactly, while every later mark is seen up to a
 * tick late (so it would read short); and the first advance after a pause moves the window by up to a
 * second's worth at once (advance-queue.lua), which a scheduler running from the opening never does.
 */
export function paceFigures(samples: readonly WindowSample[], admitPerSecond: number, seconds: number): PaceFigures {
  const first = samples[0];
  const last = samples.at(-1);
  if (!first || !last || last.atMs < first.atMs + coveredMs(seconds)) {
    throw new Error(`paceFigures: the samples do not cover ${seconds} s and the one before`);
  }
  const marks = Array.from({ length: seconds + 1 }, (_, k) => windowAt(samples, first.atMs + (k + 1) * 1000));
  const turnsPerSecond = marks.slice(1).map((window, k) => window - marks[k]!);
  const errors = turnsPerSecond.map((turns) => (turns / admitPerSecond - 1) * 100);
  const worst = errors.reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a), 0);
  const gaps = samples.slice(1).map((sample, i) => sample.atMs - samples[i]!.atMs);
  return {
    admitPerSecond,
    turnsPerSecond,
    meanErrorPct: round(errors.reduce((sum, e) => sum + Math.abs(e), 0) / errors.length),
    worstErrorPct: round(worst),
    overallErrorPct: round(((marks[seconds]! - marks[0]!) / (admitPerSecond * seconds) - 1) * 100),
    tickMs: { mean: round(gaps.reduce((a, b) => a + b, 0) / gaps.length, 1), max: Math.max(...gaps) },
    slowestAdvanceMs: round(Math.max(...samples.map((s) => s.callMs)), 1),
    windowAboveJoined: samples.filter((s) => s.window > s.joined).length,
  };
}

/**
 * Runs the real queue scheduler (src/roles/queue-scheduler.ts) on `event`, whose queue is open already, at
 * `pace`, with the store's part played here (this event alone), until Redis's clock has covered `seconds`
 * (and the second before them); returns every advance it made, seen through the gate it was given.
 */
export async function runScheduler(
  gate: GateHandle,
  event: EventDefinition,
  pace: QueuePace & { prequeueAt: Date },
  { seconds, leaseName, log }: { seconds: number; leaseName: string; log: Logger },
): Promise<{ samples: WindowSample[]; revealedSeeds: string[] }> {
  const samples: WindowSample[] = [];
  const revealedSeeds: string[] = [];
  const covered = Promise.withResolvers<void>();
  // Started: the scheduler opens it again (which changes nothing) and moves its window on.
  const scheduled: EventDefinition = {
    ...event,
    startsAt: new Date(Date.now() - 1000),
    queue: { ...pace, seed: null },
  };
  const scheduler = startQueueScheduler(
    {
      store: {
        listQueuedEvents: async () => [scheduled],
        revealQueueSeed: async (_eventId, seed) => void revealedSeeds.push(seed),
      },
      gate: {
        createLease: (name, ttlMs) => gate.createLease(name, ttlMs),
        readFigures: (eventId) => gate.readFigures(eventId),
        queue: {
          ...gate.queue,
          async advance(queued, settings) {
            const calledAt = performance.now();
            const state = await gate.queue.advance(queued, settings);
            if (state) {
              const callMs = performance.now() - calledAt;
              samples.push({ atMs: state.advancedAtMs, window: state.window, joined: state.joined, callMs });
              if (state.advancedAtMs >= samples[0]!.atMs + coveredMs(seconds)) covered.resolve();
            }
            return state;
          },
        },
      },
      log,
    },
    { leaseName },
  );
  // The scheduler logs and carries on when an advance fails: a run that stops moving ends here, not never.
  const deadline = setTimeout(
    () => covered.reject(new Error(`the scheduler made ${samples.length} advances in ${seconds + 31} s`)),
    coveredMs(seconds) + 30_000,
  );
  try {
    await covered.promise;
  } finally {
    clearTimeout(deadline);
    await scheduler.stop();
  }
  return { samples, revealedSeeds };
}
