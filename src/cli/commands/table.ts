export interface Column<T> {
  header: string;
  value: (row: T) => string | number | null | undefined;
  /** Cut longer values to this many characters, ending in "…". */
  maxWidth?: number;
}

const cell = (value: string | number | null | undefined) =>
  value === null || value === undefined ? '-' : String(value);
const cut = (text: string, maxWidth?: number) =>
  maxWidth !== undefined && text.length > maxWidth ? `${text.slice(0, maxWidth - 1)}…` : text;

/** A plain-text table: numbers right-aligned, everything else left-aligned, two spaces between columns. */
export function formatTable<T>(rows: T[], columns: Column<T>[]): string {
  const values = rows.map((row) => columns.map((column) => column.value(row)));
  const texts = values.map((line) => line.map((value, i) => cut(cell(value), columns[i]?.maxWidth)));
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, ...texts.map((line) => line[i]?.length ?? 0)),
  );
  const isNumeric = columns.map(
    (_, i) => values.length > 0 && values.every((line) => typeof line[i] === 'number' || line[i] == null),
  );
  const render = (line: string[]) =>
    line
      .map((text, i) => (isNumeric[i] ? text.padStart(widths[i] ?? 0) : text.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [render(columns.map((column) => column.header)), ...texts.map(render)].join('\n') + '\n';
}

/** "key  value" lines, keys aligned, for one record. */
export function formatRecord(entries: Array<[string, string | number | null | undefined]>): string {
  const width = Math.max(...entries.map(([key]) => key.length));
  return entries.map(([key, value]) => `${key.padEnd(width)}  ${cell(value)}`).join('\n') + '\n';
}
