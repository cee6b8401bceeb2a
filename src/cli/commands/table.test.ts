import { describe, expect, it } from 'vitest';
import { createProgressBar } from './progress-bar.ts';
import { formatRecord, formatTable } from './table.ts';

describe('formatTable', () => {
  it('aligns numbers right and text left, cuts long values and shows missing ones as "-"', () => {
    const rows = [
      { id: 'spring', name: 'Spring drop', stock: 100, note: null },
      { id: 'a-much-longer-id', name: 'A name far too long for its column', stock: 5, note: 'x' },
    ];
    const table = formatTable(rows, [
      { header: 'ID', value: (r) => r.id },
      { header: 'NAME', value: (r) => r.name, maxWidth: 12 },
      { header: 'STOCK', value: (r) => r.stock },
      { header: 'NOTE', value: (r) => r.note },
    ]);
    expect(table).toBe(
      [
        'ID                NAME          STOCK  NOTE',
        'spring            Spring drop     100  -',
        'a-much-longer-id  A name far …      5  x',
        '',
      ].join('\n'),
    );
  });

  it('prints one record as aligned key and value lines', () => {
    expect(
      formatRecord([
        ['id', 'spring'],
        ['remaining', 0],
        ['closed', null],
      ]),
    ).toBe('id         spring\nremaining  0\nclosed     -\n');
  });
});

describe('createProgressBar', () => {
  it('redraws one line on a terminal and ends it once', () => {
    const written: string[] = [];
    const bar = createProgressBar('issuing', { isTTY: true, columns: 80, write: (text) => written.push(text) });
    bar.update(25, 100);
    bar.update(100, 100, '(2 failed)');
    bar.finish();
    bar.finish();
    expect(written).toHaveLength(3);
    expect(written[0]).toMatch(/^\r\x1b\[2Kissuing █+░+  25% 25\/100$/);
    expect(written[1]).toMatch(/^\r\x1b\[2Kissuing █+ 100% 100\/100 \(2 failed\)$/);
    expect(written[2]).toBe('\n');
  });

  it('writes nothing when the output is not a terminal, so scripts get clean output', () => {
    const written: string[] = [];
    const bar = createProgressBar('issuing', { isTTY: false, write: (text) => written.push(text) });
    bar.update(1, 2);
    bar.finish();
    expect(written).toEqual([]);
  });
});
