import { describe, expect, it } from 'vitest';
import { createVerdictCache } from './verdict-cache.ts';

/** A cache on a clock the test moves by hand. */
function cacheAt(startMs: number, options: { soldOutMemoryMs?: number; maxEvents?: number } = {}) {
  let nowMs = startMs;
  const cache = createVerdictCache({ ...options, now: () => nowMs });
  return {
    cache,
    now: () => nowMs,
    advance: (ms: number) => {
      nowMs += ms;
    },
  };
}

describe('verdict cache', () => {
  it('answers sold_out from memory only until soldOutMemoryMs after the request that learnt it was sent', () => {
    const { cache, now, advance } = cacheAt(1_000, { soldOutMemoryMs: 1_000 });
    const askedAtMs = now();
    advance(100);
    cache.remember('e1', 'SOLD_OUT', { generation: 0, askedAtMs });
    expect(cache.get('e1')).toBe('SOLD_OUT');
    // Past the memory, the gate is asked again: a close it missed cannot hide behind sold_out.
    advance(900);
    expect(cache.get('e1')).toBeUndefined();
  });

  it('lets one claim ask the gate in the second half of the memory while the others still answer from it', () => {
    const { cache, now, advance } = cacheAt(0, { soldOutMemoryMs: 1_000 });
    cache.remember('e1', 'SOLD_OUT', { generation: 0, askedAtMs: now() });
    advance(600);
    expect(cache.get('e1')).toBeUndefined();
    expect(cache.get('e1')).toBe('SOLD_OUT');
    cache.remember('e1', 'SOLD_OUT', { generation: 0, askedAtMs: now() });
    // Where the first memory lapses, the renewed one still answers.
    advance(400);
    expect(cache.get('e1')).toBe('SOLD_OUT');
  });

  it('remembers an ended event for good', () => {
    const { cache, advance } = cacheAt(0, { soldOutMemoryMs: 1_000 });
    cache.remember('e1', 'ENDED');
    advance(60_000);
    expect(cache.get('e1')).toBe('ENDED');
    cache.hear({ kind: 'restocked', eventId: 'e1', generation: 5 });
    expect(cache.get('e1')).toBe('ENDED');
  });

  it('does not remember a sold-out verdict older than a restock notice heard while its request was in flight', () => {
    const { cache, now, advance } = cacheAt(0);
    const askedAtMs = now();
    advance(1);
    cache.hear({ kind: 'restocked', eventId: 'e1', generation: 4 });
    cache.remember('e1', 'SOLD_OUT', { generation: 3, askedAtMs });
    expect(cache.get('e1')).toBeUndefined();
    // A verdict as new as the notice is remembered.
    cache.remember('e1', 'SOLD_OUT', { generation: 4, askedAtMs });
    expect(cache.get('e1')).toBe('SOLD_OUT');
  });

  it('keeps at most maxEvents events, forgetting the oldest, whatever ids it hears of', () => {
    const { cache } = cacheAt(0, { maxEvents: 3 });
    for (const eventId of ['e1', 'e2', 'e3', 'e4', 'e5']) {
      cache.remember(eventId, 'ENDED');
    }
    expect(['e1', 'e2', 'e3', 'e4', 'e5'].map((eventId) => cache.get(eventId))).toEqual([
      undefined,
      undefined,
      'ENDED',
      'ENDED',
      'ENDED',
    ]);
    cache.hear({ kind: 'restocked', eventId: 'e6', generation: 1 });
    expect(cache.size).toBe(3);
    expect(cache.get('e3')).toBeUndefined();
  });
});
