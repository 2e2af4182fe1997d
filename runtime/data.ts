/**
 * Data sets as the seed reads them: `np.loadtxt(path, delimiter=',')`, all columns but the last are the
 * features `x`, the last is the target `y`; `#` starts a comment; blank lines are skipped. Parsing works
 * on text (reading files is the caller's business), and every error names the line and column.
 */
import { parse } from 'csv-parse/sync';

export interface Dataset {
  /** Row-major [rows, features]. */
  readonly x: Float32Array;
  /** Row-major [rows, 1]. */
  readonly y: Float32Array;
  readonly rows: number;
  readonly features: number;
}

export class DataError extends Error {
  override name = 'DataError';
}

/** A numeric table: every column a number; rows, columns and values row-major. */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float32Array;
}

export function parseMatrix(text: string, file = '<data>'): Matrix {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { delimiter: ',', comment: '#', quote: false, skip_empty_lines: true, trim: true, relax_column_count: true, info: true }) as unknown as typeof records;
  } catch (e) {
    throw new DataError(`${file}: not a CSV file (${(e as Error).message})`);
  }
  records = records.filter((r) => !(r.record.length === 1 && r.record[0] === ''));
  if (records.length === 0) throw new DataError(`${file}: no data rows`);
  const cols = records[0].record.length;
  const data = new Float32Array(records.length * cols);
  records.forEach(({ record, info }, r) => {
    if (record.length !== cols) throw new DataError(`${file}:${info.lines}: expected ${cols} columns like the first row, got ${record.length}`);
    record.forEach((cell, c) => {
      const v = cell === '' ? NaN : Number(cell);
      if (Number.isNaN(v) && !/^[+-]?nan$/i.test(cell)) throw new DataError(`${file}:${info.lines}: column ${c + 1} is not a number: '${cell}'`);
      data[r * cols + c] = v;
    });
  });
  return { rows: records.length, cols, data };
}

export function parseCsv(text: string, file = '<data>'): Dataset {
  const m = parseMatrix(text, file);
  if (m.cols < 2) throw new DataError(`${file}: expected at least 2 columns (features, then the label), got ${m.cols}`);
  const features = m.cols - 1;
  const x = new Float32Array(m.rows * features);
  const y = new Float32Array(m.rows);
  for (let r = 0; r < m.rows; r++) {
    for (let c = 0; c < features; c++) x[r * features + c] = m.data[r * m.cols + c];
    y[r] = m.data[r * m.cols + features];
  }
  return { x, y, rows: m.rows, features };
}

/** Data given inline as rows of features and rows of targets. */
export function inlineData(xRows: readonly (readonly number[])[], yRows: readonly (readonly number[])[]): Dataset {
  const rows = xRows.length;
  const features = xRows[0]?.length ?? 0;
  return { x: Float32Array.from(xRows.flat()), y: Float32Array.from(yRows.flat()), rows, features };
}

/** First row (1-based, in the parsed rows) holding NaN, or 0. */
export function firstNaNRow(d: Dataset): number {
  for (let r = 0; r < d.rows; r++) {
    if (Number.isNaN(d.y[r])) return r + 1;
    for (let c = 0; c < d.features; c++) if (Number.isNaN(d.x[r * d.features + c])) return r + 1;
  }
  return 0;
}
