import { readFileSync } from 'node:fs';

/**
 * Every process a chaos run started, so that whatever happens (an exception, SIGINT, the run's own
 * process exiting) none of them outlives it. The orderly path stops them one by one; this is the last resort.
 */
const pids = new Set<number>();
const pidFiles = new Set<string>();

export const reaper = {
  add(pid: number | undefined) {
    if (pid) pids.add(pid);
  },
  remove(pid: number | undefined) {
    if (pid) pids.delete(pid);
  },
  /** A pid file written by a script that daemonizes its process (scripts/local-kafka). */
  addPidFile(path: string) {
    pidFiles.add(path);
  },
  removePidFile(path: string) {
    pidFiles.delete(path);
  },
  /** SIGCONT then SIGKILL to everything still registered; synchronous, so it works in an 'exit' handler. */
  killAllNow(): number {
    const all = new Set(pids);
    for (const file of pidFiles) {
      try {
        const pid = Number(readFileSync(file, 'utf8').trim());
        // A stale pid file may name a process that reused the pid: only a Kafka broker is killed.
        if (Number.isInteger(pid) && pid > 0 && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('kafka.Kafka')) {
          all.add(pid);
        }
      } catch {
        // No pid file: that process is not running.
      }
    }
    let killed = 0;
    for (const pid of all) {
      try {
        process.kill(pid, 'SIGCONT');
        process.kill(pid, 'SIGKILL');
        killed++;
      } catch {
        // Gone already.
      }
    }
    pids.clear();
    return killed;
  },
};
