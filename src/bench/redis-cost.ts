import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createClient } from 'redis';

/** What a Redis server (or the sum over a cluster's nodes) had done so far, from `INFO`. */
export interface RedisUsage {
  /** Sum of `calls` over `INFO commandstats`, our own INFO calls left out. Commands a Lua script runs count too. */
  commandCalls: number;
  /** `used_cpu_sys + used_cpu_user` of `INFO cpu`, in seconds. */
  cpuSeconds: number;
}

/** Redis's share of one design's claims: what the load cost Redis, per claim answered. */
export interface RedisCost {
  commands: number;
  cpuSeconds: number;
  /** Commands Redis ran per claim answered (a Lua script's own commands included). */
  commandsPerClaim: number;
  /** Redis CPU milliseconds per 1,000 claims answered. */
  cpuMsPer1000Claims: number;
  /** Redis CPU milliseconds per admission (202): what admitting costs, with sold-out answers riding along. */
  cpuMsPerAdmission: number | null;
  /** Commands/s Redis ran in an idle window just before the load: others' work, and this design's idle polling. */
  backgroundCommandsPerSec: number;
  /** Redis CPU ms/s in the same idle window: its own housekeeping and others' work, included in the load's figures. */
  backgroundCpuMsPerSec: number;
  /**
   * Requests the design's own processes sent to Redis per claim answered (redis-call-counter.ts): an EVALSHA
   * is one however many commands its script runs; null when not counted.
   */
  callsPerClaim?: number | null;
  /** The same requests by command name (EVALSHA, XREADGROUP, …), largest first. */
  callsByCommand?: Record<string, number>;
  /** Redis nodes read (a cluster's masters and replicas; 1 for a single Redis). */
  nodes?: number;
  /**
   * The same figures over the masters alone, when the nodes include replicas: replicas replay the masters'
   * writes (a script's effects as MULTI … EXEC), which `commandsPerClaim` and the CPU above include.
   */
  masters?: { nodes: number; commandsPerClaim: number; cpuMsPer1000Claims: number; cpuMsPerAdmission: number | null };
  /** Each node's share of the load when there are several: how the work spread over a cluster's masters. */
  perNode?: Array<{ node: string; role: 'master' | 'replica'; commands: number; cpuMs: number }>;
}

/** Sums `calls=` over every `cmdstat_*` line except `info`, which the bench itself sends. */
export function parseCommandCalls(commandstats: string): number {
  let calls = 0;
  for (const match of commandstats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (match[1] !== 'info') calls += Number(match[2]);
  }
  return calls;
}

/** `used_cpu_sys + used_cpu_user` in seconds; children (fork for RDB/AOF) and per-thread lines left out. */
export function parseCpuSeconds(cpu: string): number {
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(cpu)?.[1] ?? Number.NaN);
  const seconds = field('used_cpu_sys') + field('used_cpu_user');
  if (Number.isNaN(seconds)) throw new Error(`INFO cpu without used_cpu_sys/used_cpu_user: ${cpu.slice(0, 200)}`);
  return seconds;
}

export const sumUsages = (usages: RedisUsage[]): RedisUsage => ({
  commandCalls: usages.reduce((sum, u) => sum + u.commandCalls, 0),
  cpuSeconds: usages.reduce((sum, u) => sum + u.cpuSeconds, 0),
});

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * The load's Redis cost per claim answered. `background` is an idle window's usage just before the load
 * (others share this Redis): its rate is reported, not subtracted, since it need not hold during the load.
 */
export function costPerClaim(
  before: RedisUsage,
  after: RedisUsage,
  answered: { claims: number; admitted: number },
  background: { usage: RedisUsage; seconds: number },
): RedisCost {
  const commands = Math.max(0, after.commandCalls - before.commandCalls);
  const cpuSeconds = Math.max(0, after.cpuSeconds - before.cpuSeconds);
  const per = (total: number, count: number) => (count > 0 ? total / count : 0);
  return {
    commands,
    cpuSeconds: round(cpuSeconds, 3),
    commandsPerClaim: round(per(commands, answered.claims), 2),
    cpuMsPer1000Claims: round(per(cpuSeconds * 1e6, answered.claims), 1),
    cpuMsPerAdmission: answered.admitted > 0 ? round((cpuSeconds * 1000) / answered.admitted, 4) : null,
    backgroundCommandsPerSec: background.seconds > 0 ? round(background.usage.commandCalls / background.seconds, 1) : 0,
    backgroundCpuMsPerSec:
      background.seconds > 0 ? round((background.usage.cpuSeconds * 1000) / background.seconds, 1) : 0,
  };
}

/** `role:` of INFO replication: master, or slave for a replica. */
export async function readRole(redis: { info(section: string): Promise<string> }): Promise<string> {
  return /^role:(\w+)/m.exec(await redis.info('replication'))?.[1] ?? 'unknown';
}

type NodeUsage = RedisUsage & { url: string; isMaster: boolean };

const readNode = async (url: string): Promise<NodeUsage> => {
  const redis = createClient({ url });
  redis.on('error', () => undefined);
  await redis.connect();
  try {
    const [commandstats, cpu, role] = [
      await redis.info('commandstats'),
      await redis.info('cpu'),
      await readRole(redis),
    ];
    return {
      url,
      commandCalls: parseCommandCalls(commandstats),
      cpuSeconds: parseCpuSeconds(cpu),
      isMaster: role === 'master',
    };
  } finally {
    redis.destroy();
  }
};

/** One reading of a design's Redis: every node summed, and its masters alone. */
export interface RedisReading {
  all: RedisUsage;
  masters: RedisUsage;
  nodes: number;
  masterCount: number;
  perNode?: NodeUsage[];
}

/** Usage summed over every node the design's Redis has (one URL for a single Redis, every cluster node). */
export async function readRedisUsage(urls: string[]): Promise<RedisReading> {
  const nodes = await Promise.all(urls.map(readNode));
  const masters = nodes.filter((n) => n.isMaster);
  return {
    all: sumUsages(nodes),
    masters: sumUsages(masters),
    nodes: nodes.length,
    masterCount: masters.length,
    perNode: nodes,
  };
}

/**
 * The load's Redis cost over every node, with the masters' alone beside it when there are replicas, and the
 * requests the design's processes counted (`calls`, null when not counted).
 */
export function costOfReadings(
  idleStart: RedisReading,
  before: RedisReading,
  after: RedisReading,
  answered: { claims: number; admitted: number },
  idleSeconds: number,
  calls: number | null,
): RedisCost {
  const cost = costPerClaim(before.all, after.all, answered, {
    usage: usageBetween(idleStart.all, before.all),
    seconds: idleSeconds,
  });
  const withCalls: RedisCost = {
    ...cost,
    callsPerClaim: calls === null ? null : answered.claims > 0 ? round(calls / answered.claims, 3) : 0,
    nodes: after.nodes,
  };
  if (after.nodes > 1 && before.perNode && after.perNode) {
    withCalls.perNode = after.perNode.map((node) => {
      const was = before.perNode?.find((b) => b.url === node.url) ?? node;
      const used = usageBetween(was, node);
      return {
        node: new URL(node.url).host,
        role: node.isMaster ? 'master' : 'replica',
        commands: used.commandCalls,
        cpuMs: round(used.cpuSeconds * 1000, 0),
      };
    });
  }
  if (after.masterCount === after.nodes) return withCalls;
  const masters = costPerClaim(before.masters, after.masters, answered, { usage: before.masters, seconds: 0 });
  return {
    ...withCalls,
    masters: {
      nodes: after.masterCount,
      commandsPerClaim: masters.commandsPerClaim,
      cpuMsPer1000Claims: masters.cpuMsPer1000Claims,
      cpuMsPerAdmission: masters.cpuMsPerAdmission,
    },
  };
}

/** The Redis requests the design's processes have sent so far: the sum of redis-call-counter.ts's files. */
export async function readRedisCalls(dir: string): Promise<number> {
  const files = (await readdir(dir)).filter((file) => !file.endsWith('.json'));
  const counts = await Promise.all(files.map(async (file) => Number(await readFile(join(dir, file), 'utf8'))));
  return counts.reduce((sum, n) => sum + (Number.isFinite(n) ? n : 0), 0);
}

/** The same by command name, summed over the processes (a file being rewritten counts as nothing). */
export async function readRedisCallsByCommand(dir: string): Promise<Record<string, number>> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.json'));
  const merged: Record<string, number> = {};
  for (const file of files) {
    let counts: Record<string, number>;
    try {
      counts = JSON.parse(await readFile(join(dir, file), 'utf8')) as Record<string, number>;
    } catch {
      continue;
    }
    for (const [command, n] of Object.entries(counts)) merged[command] = (merged[command] ?? 0) + n;
  }
  return merged;
}

/** What each command added between two readings by command, largest first; commands that added none left out. */
export function callsBetween(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after)
      .map(([command, n]): [string, number] => [command, n - (before[command] ?? 0)])
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[1] - a[1]),
  );
}

/** How long to wait for the counters' next write (they write every 100 ms) before reading them. */
export const redisCallsFlushMs = 250;

/** The difference between two readings, for an idle window. */
export const usageBetween = (before: RedisUsage, after: RedisUsage): RedisUsage => ({
  commandCalls: Math.max(0, after.commandCalls - before.commandCalls),
  cpuSeconds: Math.max(0, after.cpuSeconds - before.cpuSeconds),
});
