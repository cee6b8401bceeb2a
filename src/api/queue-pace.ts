import type { QueueState } from '../gate/gate.ts';

/** The pace is measured over this much of the window's log. */
const paceSpanMs = 5000;

/** Turns per second over the last few seconds of the log; the setting when the log is too short to tell. */
export function measuredPace(state: QueueState, admitPerSecond: number): number {
  const since = state.log.findLast((c) => c.atMs <= state.advancedAtMs - paceSpanMs) ?? state.log[0];
  if (!since) return admitPerSecond;
  const spanMs = state.advancedAtMs - since.atMs;
  const growth = state.window - since.window;
  return spanMs >= 1000 && growth > 0 ? (growth * 1000) / spanMs : admitPerSecond;
}
