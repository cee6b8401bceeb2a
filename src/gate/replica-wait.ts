import { AppError } from '../errors.ts';
import { callGate } from './gate-call.ts';
import { nodeClientFor, type GateRedis } from './redis.ts';

/** How many replicas must have an admission before its claim is answered 202, and how long to wait for them. */
export interface ReplicaWaitOptions {
  replicas: number;
  timeoutMs: number;
}

type NodeClient = Awaited<ReturnType<typeof nodeClientFor>>;

interface Batch {
  waiters: Array<{ resolve: (acknowledged: number) => void; reject: (error: unknown) => void }>;
}

/**
 * WAIT for replicas after admissions, one WAIT per node and turn of the event loop for every admission
 * answered meanwhile (a group commit): WAIT covers every write the connection sent before it, and it
 * blocks that connection while it waits, so one per claim would queue the whole API behind it.
 * Resolves once `replicas` replicas hold the admission; throws a retryable GATE_UNAVAILABLE when they do
 * not within the timeout: the claim may or may not survive a failover, and a retry with the same
 * Idempotency-Key answers whichever it did.
 */
export function createReplicaWait(redis: GateRedis, { replicas, timeoutMs }: ReplicaWaitOptions) {
  const batches = new Map<NodeClient, Batch>();

  function flush(node: NodeClient, batch: Batch): void {
    batches.delete(node);
    node.sendCommand(['WAIT', String(replicas), String(timeoutMs)]).then(
      (reply) => {
        for (const waiter of batch.waiters) waiter.resolve(Number(reply));
      },
      (error: unknown) => {
        for (const waiter of batch.waiters) waiter.reject(error);
      },
    );
  }

  /** The replicas that hold what the connection to `key`'s node wrote so far, with every waiter of this turn. */
  async function acknowledgedBy(key: string): Promise<number> {
    const node = await nodeClientFor(redis, key);
    let batch = batches.get(node);
    if (!batch) {
      const fresh: Batch = { waiters: [] };
      batches.set(node, fresh);
      setImmediate(() => flush(node, fresh));
      batch = fresh;
    }
    const joined = batch;
    return new Promise<number>((resolve, reject) => joined.waiters.push({ resolve, reject }));
  }

  return async function waitForReplicas(key: string, what: string): Promise<void> {
    const acknowledged = await callGate(`WAIT after ${what}`, () => acknowledgedBy(key));
    if (acknowledged < replicas) {
      throw new AppError(
        'GATE_UNAVAILABLE',
        `${what}: ${acknowledged} of ${replicas} Redis replicas confirmed it within ${timeoutMs} ms; ` +
          'retry with the same Idempotency-Key to learn whether it was kept',
        { retryable: true },
      );
    }
  };
}
