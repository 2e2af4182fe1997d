/**
 * The CSV reader fed in chunks of every size reads what it reads from the whole file: lines, `\r\n`
 * pairs, comments and fields cut anywhere between two chunks (the whole file's reading is held against
 * numpy in csv-numpy.slow.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { CsvReader } from '../../runtime/csv.ts';

const texts = [
  '# head\r\n1,2.5,-3\r\n\r\n4e1, inf ,nan # c\r5,6,7\n\n#x\r\n8,9,1e-3',
  '1,2\n3,4\n',
  '1,2\r\n3,0x10\r\n',
  '1,2\r\r\n3,4\r',
  '  \n1,2\n',
  '1,2\n3,4,5\n',
  '1,2 # a, b, c\r\n#\n' + '12345.678901234,-0.000001\n'.repeat(20),
];

function read(text: string, cut: (i: number) => number): string {
  const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
  const r = new CsvReader('f.csv');
  try {
    for (let s = 0, k = 0; s < bytes.length; k++) {
      const e = Math.min(bytes.length, s + cut(k));
      r.push(bytes.subarray(s, e));
      s = e;
    }
    const t = r.end();
    return JSON.stringify({ rows: t.rows, cols: t.cols, v: Array.from(t.copyColumns(0, t.cols), String), lines: Array.from({ length: t.rows }, (_, i) => t.lineOf(i)) });
  } catch (e) {
    return (e as Error).message;
  }
}

describe('CSV read in chunks', () => {
  it('every chunk size and a ragged cut give the whole file\'s result', () => {
    for (const text of texts) {
      const whole = read(text, () => text.length);
      for (let n = 1; n <= 9; n++) expect(read(text, () => n), `${JSON.stringify(text)} in chunks of ${n}`).toBe(whole);
      expect(read(text, (k) => 1 + ((k * 7) % 5))).toBe(whole);
    }
  });
  it('line numbers count \\r\\n once and skipped lines', () => {
    expect(JSON.parse(read(texts[0], () => 3)).lines).toEqual([2, 4, 5, 8]);
  });
});

describe('a table taken as a data set', () => {
  it('x and y over several blocks, the line numbers kept, the table emptied', async () => {
    const { parseTable, tableDataset } = await import('../../runtime/data.ts');
    // 300,000 rows of 3 values: more than one block of the table
    const rows = 300_000;
    let text = '# head\n';
    for (let r = 0; r < rows; r++) text += `${r},${-r},${r % 7}\n`;
    const t = parseTable(text, 'big.csv');
    const d = tableDataset(t);
    expect([d.rows, d.features, d.x.length, d.y.length]).toEqual([rows, 2, 2 * rows, rows]);
    for (const r of [0, 1, 87_381, 87_382, 174_763, rows - 1]) {
      expect([d.x[2 * r], d.x[2 * r + 1], d.y[r]]).toEqual([r, -r || 0, r % 7]);
      expect(d.lineOf!(r)).toBe(r + 2);
    }
    expect(() => t.copyColumns(0, 1)).toThrow(/values were taken/);
  });
});
