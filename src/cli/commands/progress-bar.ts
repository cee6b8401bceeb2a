export interface ProgressOutput {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

/**
 * A one-line progress bar redrawn in place, on a terminal only: a script reading the output (or a
 * pipe) gets the final summary and no control characters.
 */
export function createProgressBar(label: string, output: ProgressOutput = process.stderr) {
  let drawn = false;
  return {
    update(done: number, total: number, note = ''): void {
      if (!output.isTTY) return;
      const ratio = total > 0 ? Math.min(1, Math.max(0, done / total)) : 1;
      const width = Math.max(10, Math.min(40, (output.columns || 80) - label.length - note.length - 30));
      const filled = Math.round(ratio * width);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
      const percent = `${Math.floor(ratio * 100)}%`.padStart(4);
      output.write(`\r\x1b[2K${label} ${bar} ${percent} ${done}/${total}${note ? ` ${note}` : ''}`);
      drawn = true;
    },
    finish(): void {
      if (drawn) output.write('\n');
      drawn = false;
    },
  };
}
