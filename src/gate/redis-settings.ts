import { AppError } from '../errors.ts';
import { type GateRedis, isCluster, type nodeClientFor } from './redis.ts';

type NodeClient = Awaited<ReturnType<typeof nodeClientFor>>;

/**
 * The only maxmemory-policy that keeps every key: allkeys-* evict any key, and volatile-* evict keys
 * with a TTL, which the gate sets on idempotency keys and ticket leases; losing either would admit a
 * claim twice or strand tickets.
 */
const safePolicy = 'noeviction';

export interface NodeSettings {
  node: string;
  /** maxmemory-policy; undefined when the server lets us read neither CONFIG nor INFO. */
  policy: string | undefined;
  /** Whether it writes to disk (AOF or RDB snapshots); undefined when that cannot be read. */
  isPersistent: boolean | undefined;
}

const infoField = (info: string, field: string) => new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();

/** CONFIG GET where allowed; a managed Redis often forbids it, and then INFO tells what it can. */
export async function readNodeSettings(client: NodeClient, node: string): Promise<NodeSettings> {
  try {
    const config = await client.configGet(['maxmemory-policy', 'save', 'appendonly']);
    return {
      node,
      policy: config['maxmemory-policy'],
      isPersistent: config.appendonly === 'yes' || (config.save ?? '').trim() !== '',
    };
  } catch {
    try {
      const info = await client.info();
      // INFO shows whether AOF is on, not whether RDB snapshots are scheduled: without AOF it stays unknown.
      return {
        node,
        policy: infoField(info, 'maxmemory_policy'),
        isPersistent: infoField(info, 'aof_enabled') === '1' || undefined,
      };
    } catch {
      return { node, policy: undefined, isPersistent: undefined };
    }
  }
}

/** Every master's settings: each holds some events' keys. */
async function readAllSettings(redis: GateRedis): Promise<NodeSettings[]> {
  if (!isCluster(redis)) return [await readNodeSettings(redis, 'Redis')];
  return Promise.all(
    redis.masters.map(async (master) =>
      readNodeSettings(await redis.nodeClient(master), `Redis ${master.host}:${master.port}`),
    ),
  );
}

/**
 * Refuses (REDIS_EVICTS_KEYS) a Redis that may evict the gate's keys; returns what is worth a warning:
 * settings it could not read, and, in production, a Redis that keeps nothing on disk (a restart then
 * forgets every admission, and only the database's numbered tickets still hold the promises).
 */
export async function checkRedisSettings(
  redis: GateRedis,
  { isProduction }: { isProduction: boolean },
): Promise<string[]> {
  const settings = await readAllSettings(redis);
  const evicting = settings.find((s) => s.policy !== undefined && s.policy !== safePolicy);
  if (evicting) {
    throw new AppError(
      'REDIS_EVICTS_KEYS',
      `${evicting.node} has maxmemory-policy ${evicting.policy}, which may evict the gate's keys (admissions, ` +
        `idempotency keys, ticket leases) and break the stock and per-user limits: set maxmemory-policy ${safePolicy}`,
    );
  }
  const warnings = settings
    .filter((s) => s.policy === undefined)
    .map((s) => `${s.node}: cannot read maxmemory-policy (CONFIG GET and INFO refused); make sure it is ${safePolicy}`);
  if (isProduction) {
    warnings.push(
      ...settings
        .filter((s) => s.isPersistent === false)
        .map(
          (s) =>
            `${s.node} keeps nothing on disk (no AOF, no RDB save): a restart loses every admission; ` +
            'turn on appendonly, then run `firstcome reconcile --repair` after any loss',
        ),
    );
  }
  return warnings;
}
