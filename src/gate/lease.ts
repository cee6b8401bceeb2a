import { randomBytes } from 'node:crypto';
import { callGate } from './gate-call.ts';
import { leaseKey } from './keys.ts';
import type { GateRedis } from './redis.ts';

/** A lease one process of a deployment holds at a time, e.g. for a periodic job that must run once. */
export interface Lease {
  /** This process's name on the lease. */
  readonly holder: string;
  /** Takes the lease, or renews it for `ttlMs` more if this process holds it; false when another does. */
  tryHold(): Promise<boolean>;
  /** Gives the lease up if this process holds it, so another may take it at once. */
  release(): Promise<void>;
}

/**
 * A Redis lease (SET NX PX, renewed by its holder): it lapses `ttlMs` after its holder's last renewal, so
 * a holder that dies passes it on. Not a lock for correctness: two holders may overlap for a moment (a
 * holder paused past its ttl), so what it guards must stay safe when run twice.
 */
export function createLease(redis: GateRedis, name: string, ttlMs: number): Lease {
  const holder = randomBytes(9).toString('base64url');
  const key = leaseKey(name);
  return {
    holder,
    async tryHold() {
      return (await callGate(`the lease ${name}`, () => redis.takeLease([key], [holder, ttlMs]))) === 1;
    },
    async release() {
      await callGate(`the release of lease ${name}`, () => redis.dropLease([key], [holder]));
    },
  };
}
