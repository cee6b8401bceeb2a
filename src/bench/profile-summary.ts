import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}

export interface HotSpot {
  /** `function (file:line)`, with node_modules paths shortened to the package. */
  where: string;
  selfPercent: number;
}

const shorten = (url: string) => {
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(url);
  if (inModules) return `${inModules[1]}/${inModules[2]}`;
  const inRepo = /\/src\/(.*)$/.exec(url);
  if (inRepo) return `src/${inRepo[1]}`;
  return url || '(native)';
};

/** The functions with the most self time in a V8 CPU profile (`node --cpu-prof`). */
export function hotSpots(profile: CpuProfile, top = 15): HotSpot[] {
  const selfMicros = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i] as number;
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + Math.max(0, deltas[i] ?? 0));
  }
  const total = [...selfMicros.values()].reduce((a, b) => a + b, 0) || 1;
  const byWhere = new Map<string, number>();
  for (const node of profile.nodes) {
    const micros = selfMicros.get(node.id) ?? 0;
    if (micros === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = `${functionName || '(anonymous)'} (${shorten(url)}${url ? `:${lineNumber + 1}` : ''})`;
    byWhere.set(where, (byWhere.get(where) ?? 0) + micros);
  }
  return [...byWhere.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([where, micros]) => ({ where, selfPercent: Math.round((micros / total) * 1000) / 10 }));
}

/** A short text of every profile's hot spots, for the end of a `--profile` run. */
export async function describeProfiles(dir: string, top = 12): Promise<string> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).sort();
  const parts: string[] = [];
  for (const file of files) {
    const spots = hotSpots(JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile, top);
    parts.push(
      `${basename(file, '.cpuprofile')} (self time):\n${spots.map((s) => `  ${s.selfPercent.toFixed(1).padStart(5)}%  ${s.where}`).join('\n')}`,
    );
  }
  return parts.join('\n\n');
}
