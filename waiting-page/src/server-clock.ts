/**
 * The server's time, learned from the Date header of its answers: the shopper's clock may be off by
 * minutes, and a countdown must end when the server opens the sale. A Date header is whole seconds,
 * stamped somewhere between sending and receiving, so each answer bounds the offset (server - local)
 * to [date - receivedAt, date + 1000 - sentAt]; the bounds of every answer together narrow it below a second.
 */
export function createServerClock(localNow: () => number = Date.now) {
  let low = -Infinity;
  let high = Infinity;

  return {
    /** One answer: when the request left, when its answer came, and the answer's Date header. */
    learn(sentAtMs: number, receivedAtMs: number, dateHeader: string | null): void {
      const dateMs = dateHeader ? Date.parse(dateHeader) : NaN;
      if (Number.isNaN(dateMs)) return;
      const sampleLow = dateMs - receivedAtMs;
      const sampleHigh = dateMs + 1000 - sentAtMs;
      // Bounds that no longer meet mean a clock jumped (the local one, usually): start again from this answer.
      if (sampleLow > high || sampleHigh < low) {
        low = sampleLow;
        high = sampleHigh;
        return;
      }
      low = Math.max(low, sampleLow);
      high = Math.min(high, sampleHigh);
    },
    /** The best estimate of the offset; 0 before any answer. */
    offsetMs(): number {
      return Number.isFinite(low) ? (low + high) / 2 : 0;
    },
    now(): number {
      return localNow() + this.offsetMs();
    },
  };
}

export type ServerClock = ReturnType<typeof createServerClock>;
