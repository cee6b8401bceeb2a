import { createHash, timingSafeEqual } from 'node:crypto';

// Hashing first makes both sides the same length, so the comparison takes the same time for any guess.
const digest = (value: string) => createHash('sha256').update(value).digest();

/** Compares a presented secret with the configured one in constant time. */
export const isSameSecret = (presented: string, configured: string): boolean =>
  timingSafeEqual(digest(presented), digest(configured));
