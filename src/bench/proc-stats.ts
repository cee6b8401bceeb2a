import { readdirSync, readFileSync } from 'node:fs';

/** Linux reports CPU time in clock ticks; USER_HZ is 100 on every mainstream kernel build. */
const ticksPerSecond = 100;

export interface ProcStat {
  pid: number;
  ppid: number;
  cpuSeconds: number;
}

/** Parses /proc/<pid>/stat; the command name may hold spaces and parentheses, so fields count from its last ')'. */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  // After ')': state(3) ppid(4) ... utime(14) stime(15), i.e. indexes 0, 1, ..., 11, 12 here.
  const rest = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  const ppid = Number(rest[1]);
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (![pid, ppid, utime, stime].every(Number.isFinite)) return undefined;
  return { pid, ppid, cpuSeconds: (utime + stime) / ticksPerSecond };
}

/** Resident and peak resident memory (VmRSS, VmHWM) from /proc/<pid>/status, in bytes. */
export function parseProcStatus(text: string): { rssBytes: number; peakRssBytes: number } {
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
  return { rssBytes: kib('VmRSS'), peakRssBytes: kib('VmHWM') };
}

const readText = (path: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** The given processes and all their descendants that are alive now. */
export function processTree(rootPids: number[]): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = parseProcStat(readText(`/proc/${entry}/stat`) ?? '');
    if (stat) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat.pid]);
  }
  const tree = new Set<number>();
  const visit = (pid: number) => {
    if (tree.has(pid)) return;
    tree.add(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  rootPids.forEach(visit);
  return [...tree].filter((pid) => readText(`/proc/${pid}/stat`) !== undefined);
}

/** CPU seconds so far, resident memory now, and the sum of each process's own peak (VmHWM). */
export interface TreeUsage {
  cpuSeconds: number;
  rssBytes: number;
  peakRssBytes: number;
}

export function readTreeUsage(rootPids: number[]): TreeUsage {
  const usage = { cpuSeconds: 0, rssBytes: 0, peakRssBytes: 0 };
  for (const pid of processTree(rootPids)) {
    const stat = parseProcStat(readText(`/proc/${pid}/stat`) ?? '');
    const status = parseProcStatus(readText(`/proc/${pid}/status`) ?? '');
    usage.cpuSeconds += stat?.cpuSeconds ?? 0;
    usage.rssBytes += status.rssBytes;
    usage.peakRssBytes += status.peakRssBytes;
  }
  return usage;
}
