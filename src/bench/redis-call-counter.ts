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
  const proto = (RedisClient as unknown as { prototype: Record<string, Method> }).prototype;
  const count = (name: string, weight: (args: unknown[]) => number) => {
    const original = proto[name];
    if (typeof original !== 'function') throw new Error(`redis-call-counter: node-redis has no ${name}`);
    proto[name] = function counted(this: unknown, ...args: unknown[]) {
      calls += weight(args);
      return original.apply(this, args);
    };
  };
  const commandsOf = (args: unknown[]) => (Array.isArray(args[0]) ? args[0].length : 0);
  count('sendCommand', () => 1);
  count('_executePipeline', commandsOf);
  // MULTI and EXEC around the queued commands.
  count('_executeMulti', (args) => commandsOf(args) + 2);
  const file = join(dir, String(process.pid));
  let written = -1;
  const flush = () => {
    if (calls === written) return;
    written = calls;
    try {
      writeFileSync(file, String(calls));
    } catch {
      // The bench removed the directory: the run is over.
    }
  };
  flush();
  setInterval(flush, 100).unref();
  process.on('exit', flush);
}
