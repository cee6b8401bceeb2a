import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BuildInfo {
  /** The package's version (package.json). */
  version: string;
  /** The checkout's git commit (short), or 'unknown' where there is no git or no repository (an image). */
  commit: string;
}

const packageRoot = join(import.meta.dirname, '..');
let known: BuildInfo | undefined;

function readCommit(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], {
      cwd: packageRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 2000,
    }).trim();
    return /^[0-9a-f]{7,40}$/.test(commit) ? commit : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The package's version (package.json): what `firstcome --version` prints and build info reports. */
export const packageVersion = (): string =>
  (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;

/** Which firstcome this is; read once per process (one `git` call), as it cannot change while it runs. */
export function readBuildInfo(): BuildInfo {
  known ??= { version: packageVersion(), commit: readCommit() };
  return known;
}
