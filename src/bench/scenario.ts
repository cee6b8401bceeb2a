/** A small seeded PRNG (mulberry32): the same seed gives every design the same order of attempts. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every user `attempts` times, shuffled (Fisher–Yates): user indexes in the order the claims are sent. */
export function buildAttemptOrder(users: number, attempts: number, seed: number): Uint32Array {
  const order = new Uint32Array(users * attempts);
  for (let i = 0; i < order.length; i++) order[i] = i % users;
  const random = seededRandom(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = order[i] as number;
    order[i] = order[j] as number;
    order[j] = swap;
  }
  return order;
}

export const userIdOf = (index: number) => `u${index}`;
