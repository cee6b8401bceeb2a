import { describe, expect, it } from 'vitest';
import { createServerClock } from './server-clock.ts';

/** The Date header a server whose clock is `offsetMs` ahead of ours would send at our time `atMs`. */
const dateAt = (atMs: number, offsetMs: number) => new Date(atMs + offsetMs).toUTCString();

describe('the server clock', () => {
  it('trusts the local clock until the server has answered', () => {
    const clock = createServerClock(() => 1_000_000);
    expect(clock.now()).toBe(1_000_000);
  });

  it('narrows the offset to well under a second from answers stamped at different fractions of a second', () => {
    const offsetMs = 93_417; // the shopper's clock is about a minute and a half behind
    let local = 1_700_000_000_000;
    const clock = createServerClock(() => local);
    for (let i = 0; i < 12; i += 1) {
      const sentAtMs = local;
      const stampedAtMs = sentAtMs + 40; // the server answers 40 ms after the request left
      local = stampedAtMs + 40;
      clock.learn(sentAtMs, local, dateAt(stampedAtMs, offsetMs));
      local += 1370; // the next poll, at another fraction of a second
    }
    expect(Math.abs(clock.offsetMs() - offsetMs)).toBeLessThan(100);
  });

  it('starts again when the local clock jumps, rather than keeping bounds that no longer meet', () => {
    let local = 1_700_000_000_000;
    const clock = createServerClock(() => local);
    clock.learn(local, local + 50, dateAt(local, 0));
    local += 3_600_000; // the shopper's clock was set back an hour while the server's went on
    clock.learn(local, local + 50, dateAt(local, -3_600_000));
    expect(Math.abs(clock.offsetMs() + 3_600_000)).toBeLessThan(1100);
  });

  it('ignores an answer without a readable Date header', () => {
    const clock = createServerClock(() => 5_000);
    clock.learn(4_000, 5_000, null);
    clock.learn(4_000, 5_000, 'not a date');
    expect(clock.offsetMs()).toBe(0);
  });
});
