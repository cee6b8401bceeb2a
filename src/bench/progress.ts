import type { LoadProgress } from './load-generator.ts';

const barWidth = 30;
const compact = (n: number) => (n >= 10_000 ? `${(n / 1000).toFixed(0)}k` : String(Math.round(n)));

export function formatProgress(label: string, p: LoadProgress): string {
  const fraction = p.planned > 0 ? Math.min(1, p.completed / p.planned) : 0;
  const filled = Math.round(fraction * barWidth);
  const rate = p.elapsedSeconds > 0 ? p.completed / p.elapsedSeconds : 0;
  return (
    `${label.padEnd(12)} [${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ` +
    `${compact(p.completed)}/${compact(p.planned)} claims  ${compact(rate)}/s  admitted ${p.admitted}  ${p.elapsedSeconds.toFixed(1)} s`
  );
}

/** One progress line per design on stderr: redrawn in place on a terminal, every quarter otherwise. */
export function createProgressLine(stream: NodeJS.WriteStream, label: string) {
  let lastQuarter = -1;
  let drawn = false;
  return {
    update(progress: LoadProgress): void {
      if (stream.isTTY) {
        stream.write(`\r${formatProgress(label, progress)}\x1b[K`);
        drawn = true;
        return;
      }
      const quarter = Math.floor((progress.completed / Math.max(1, progress.planned)) * 4);
      if (quarter > lastQuarter) {
        lastQuarter = quarter;
        stream.write(`${formatProgress(label, progress)}\n`);
      }
    },
    /** Ends the progress line and writes a status line under it. */
    say(text: string): void {
      if (drawn) stream.write('\n');
      drawn = false;
      stream.write(`${label.padEnd(12)} ${text}\n`);
    },
  };
}
