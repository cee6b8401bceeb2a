import { contestant } from './contestant-design.ts';
import type { Design } from './design.ts';
import { firstcomeDesign } from './firstcome-design.ts';

/**
 * Tuned as its users would: the usual rule of thumb is (2 × cores) + disks, and on this 2-core box 10,000
 * coupons sold out in 7.9–10.0 s with a pool of 4, 8.1–8.8 s with 8, 9.0–9.1 s with 16 and 10.3 s with 32.
 */
const dbLockPoolSize = 8;

/** The designs in report order; `broken` ones exist to prove the harness catches them. */
export const designs: Array<Design & { broken?: boolean }> = [
  contestant('ceiling', 'the same HTTP stack answering every claim with a constant 202, no I/O: the upper bound', {
    storesCoupons: false,
  }),
  contestant(
    'db-lock',
    'one PostgreSQL transaction per claim: SELECT … FOR UPDATE on the event row, count the user’s coupons, ' +
      `INSERT the coupon, UPDATE the count, COMMIT (pool of ${dbLockPoolSize}, prepared statements)`,
    { poolSize: dbLockPoolSize },
  ),
  contestant(
    'redis-lock',
    'a per-event Redis lock taken as Redisson’s RLock does (SET NX PX with a random token; Lua compare-and-delete ' +
      'release that PUBLISHes; waiters sleep until a release message wakes one) held around the same ' +
      'check-and-insert transaction in PostgreSQL, released after COMMIT',
    { poolSize: 4 },
  ),
  contestant(
    'course',
    'the course design: SADD the user (one per user), INCR the count, hand the claim to Kafka without waiting ' +
      '(batched as KafkaTemplate does, 5 ms linger); a separate consumer process INSERTs one row per message',
    { consumer: true },
  ),
  firstcomeDesign,
  {
    ...contestant('db-lock', 'db-lock reading the event row without FOR UPDATE (deliberately broken)', {
      variant: 'no-lock',
      poolSize: dbLockPoolSize,
    }),
    name: 'db-lock-no-lock',
    broken: true,
  },
  {
    ...contestant('course', 'course without the SADD (deliberately broken)', { variant: 'no-sadd', consumer: true }),
    name: 'course-no-sadd',
    broken: true,
  },
];

export const defaultDesigns = designs.filter((d) => !d.broken).map((d) => d.name);

export function findDesign(name: string): Design {
  const design = designs.find((d) => d.name === name);
  if (!design) throw new Error(`unknown design "${name}"; known: ${designs.map((d) => d.name).join(', ')}`);
  return design;
}
