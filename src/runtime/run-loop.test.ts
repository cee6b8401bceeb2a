import { describe, expect, it } from 'vitest';
import { retryUntil, runLoop } from './run-loop.ts';

/** Records what a loop reported, in order. */
function recorder() {
  const events: string[] = [];
  const backoffs: number[] = [];
  return {
    events,
    backoffs,
    backoffMs: (failures: number) => {
      backoffs.push(failures);
      return 0;
    },
    onFailureStreak: (error: unknown) => events.push(`failing: ${(error as Error).message}`),
    onRecovered: () => events.push('recovered'),
  };
}

/** A step that plays `script` in order (a number resolves, an Error rejects), then stops the loop. */
function scripted(stopping: AbortController, script: Array<number | Error>, seen: string[] = []) {
  let i = 0;
  return async () => {
    const next = script[i++];
    if (i >= script.length) stopping.abort();
    if (next instanceof Error) {
      seen.push(`fail ${next.message}`);
      throw next;
    }
    seen.push('ok');
    return next;
  };
}

describe('runLoop', () => {
  it('runs steps until the signal aborts, and lets the step in hand finish', async () => {
    const stopping = new AbortController();
    let steps = 0;
    let finished = 0;
    await runLoop({
      signal: stopping.signal,
      backoffMs: () => 0,
      step: async () => {
        steps++;
        if (steps === 3) stopping.abort();
        await Promise.resolve();
        finished++;
      },
    });
    expect([steps, finished]).toEqual([3, 3]);
  });

  it('reports each failure streak once, with its first error, and backs off from the start of each', async () => {
    const stopping = new AbortController();
    const r = recorder();
    const script = [new Error('a'), new Error('b'), new Error('c'), 0, new Error('d'), 0];
    await runLoop({ signal: stopping.signal, ...r, step: scripted(stopping, script) });
    expect(r.events).toEqual(['failing: a', 'recovered', 'failing: d', 'recovered']);
    expect(r.backoffs).toEqual([0, 1, 2, 0]);
  });

  it('cuts the pause a step asked for short when the signal aborts', async () => {
    const stopping = new AbortController();
    const done = runLoop({ signal: stopping.signal, backoffMs: () => 0, step: async () => 3_600_000 });
    stopping.abort();
    await expect(done).resolves.toBeUndefined();
  });

  it('cuts a backoff short when the signal aborts', async () => {
    const stopping = new AbortController();
    const done = runLoop({
      signal: stopping.signal,
      backoffMs: () => 3_600_000,
      step: async () => {
        throw new Error('down');
      },
    });
    stopping.abort();
    await expect(done).resolves.toBeUndefined();
  });

  it('does not report a failure of the step that was running when the loop stopped', async () => {
    const stopping = new AbortController();
    const r = recorder();
    await runLoop({ signal: stopping.signal, ...r, step: scripted(stopping, [new Error('stopping')]) });
    expect(r.events).toEqual([]);
  });

  it('reports a recovery a step announces before it ends, once', async () => {
    const stopping = new AbortController();
    const r = recorder();
    let steps = 0;
    await runLoop({
      signal: stopping.signal,
      ...r,
      step: async (loop) => {
        steps++;
        if (steps === 1) throw new Error('down');
        loop.recovered();
        expect(r.events).toEqual(['failing: down', 'recovered']);
        stopping.abort();
      },
    });
    expect(r.events).toEqual(['failing: down', 'recovered']);
  });

  it('starts a new streak when a step fails after it recovered, by default', async () => {
    const stopping = new AbortController();
    const r = recorder();
    let steps = 0;
    await runLoop({
      signal: stopping.signal,
      ...r,
      step: async (loop) => {
        steps++;
        if (steps === 2) loop.recovered();
        if (steps === 3) stopping.abort();
        throw new Error(`e${steps}`);
      },
    });
    expect(r.events).toEqual(['failing: e1', 'recovered', 'failing: e2']);
    expect(r.backoffs).toEqual([0, 0, 1]);
  });

  it('continues the streak when a step fails sooner than newStreakAfterMs after it recovered', async () => {
    const stopping = new AbortController();
    const r = recorder();
    let steps = 0;
    await runLoop({
      signal: stopping.signal,
      ...r,
      newStreakAfterMs: Number.POSITIVE_INFINITY,
      step: async (loop) => {
        steps++;
        if (steps === 2) loop.recovered();
        if (steps === 4) stopping.abort();
        throw new Error(`e${steps}`);
      },
    });
    expect(r.events).toEqual(['failing: e1', 'recovered']);
    expect(r.backoffs).toEqual([0, 1, 2, 3]);
  });
});

describe('retryUntil', () => {
  it('returns the value once an attempt succeeds, reporting the streak and its end once', async () => {
    const r = recorder();
    let attempts = 0;
    const result = await retryUntil(
      async () => {
        attempts++;
        if (attempts < 4) throw new Error(`try ${attempts}`);
        return 'stored';
      },
      { signal: new AbortController().signal, ...r },
    );
    expect(result).toEqual({ isDone: true, value: 'stored' });
    expect(r.events).toEqual(['failing: try 1', 'recovered']);
    expect(r.backoffs).toEqual([0, 1, 2]);
  });

  it('tries once even when stopped, and gives up after a failed try once stopped', async () => {
    const stopped = AbortSignal.abort();
    const r = recorder();
    expect(await retryUntil(async () => 'done', { signal: stopped, ...r })).toEqual({ isDone: true, value: 'done' });
    const error = new Error('down');
    let attempts = 0;
    const result = await retryUntil(
      async () => {
        attempts++;
        throw error;
      },
      { signal: stopped, ...r },
    );
    expect(result).toEqual({ isDone: false, error });
    expect(attempts).toBe(1);
    expect(r.events).toEqual(['failing: down']);
  });

  it('gives up when the signal aborts during a backoff, after one more try', async () => {
    const stopping = new AbortController();
    let attempts = 0;
    const result = await retryUntil(
      async () => {
        attempts++;
        if (attempts === 2) stopping.abort();
        throw new Error('down');
      },
      { signal: stopping.signal, backoffMs: () => 0 },
    );
    expect(result).toMatchObject({ isDone: false });
    expect(attempts).toBe(2);
  });
});
