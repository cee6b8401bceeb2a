// Preloaded by the bench (`node --import`) into every design process when FIRSTCOME_BENCH_REDIS_CALLS_DIR is
// set: counts the requests this process's node-redis clients send (an EVALSHA is one, whatever the script
// runs inside Redis; a pipeline or MULTI counts its commands), and writes the running total to
// <dir>/<pid> a few times a second. INFO commandstats cannot tell a script's inner commands from a client's
// own, so this is how the bench sees round trips per claim. node:cluster children inherit --import.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RedisClient } from 'redis';

const dir = process.env.FIRSTCOME_BENCH_REDIS_CALLS_DIR;

type Method = (this: unknown, ...args: unknown[]) => unknown;

if (dir) {
  let calls = 0;
  /** Calls by command name, for seeing where a design's calls go. */
  const byCommand = new Map<string, number>();
  const tally = (name: unknown, n: number) => {
    const key = String(name).toUpperCase();
    byCommand.set(key, (byCommand.get(key) ?? 0) + n);
  };
  const proto = (RedisClient as unknown as { prototype: Record<string, Method> }).prototype;
  const count = (name: string, weight: (args: unknown[]) => number) => {
    const original = proto[name];
    if (typeof original !== 'function') throw new Error(`redis-call-counter: node-redis has no ${name}`);
    proto[name] = function counted(this: unknown, ...args: unknown[]) {
      calls += weight(args);
      return original.apply(this, args);
    };
  };
  const batchOf = (args: unknown[]) => (Array.isArray(args[0]) ? (args[0] as Array<{ args?: unknown[] }>) : []);
  count('sendCommand', (args) => {
    tally(Array.isArray(args[0]) ? args[0][0] : 'unknown', 1);
    return 1;
  });
  count('_executePipeline', (args) => {
    for (const command of batchOf(args)) tally(command.args?.[0], 1);
    return batchOf(args).length;
  });
  // MULTI and EXEC around the queued commands.
  count('_executeMulti', (args) => {
    for (const command of batchOf(args)) tally(command.args?.[0], 1);
    tally('MULTI', 1);
    tally('EXEC', 1);
    return batchOf(args).length + 2;
  });
  const file = join(dir, String(process.pid));
  let written = -1;
  const flush = () => {
    if (calls === written) return;
    written = calls;
    try {
      // The total alone in <pid>, by command in <pid>.json (readers sum the first and merge the second).
      writeFileSync(`${file}.json`, JSON.stringify(Object.fromEntries(byCommand)));
      writeFileSync(file, String(calls));
    } catch {
      // The bench removed the directory: the run is over.
    }
  };
  flush();
  setInterval(flush, 100).unref();
  process.on('exit', flush);
}
