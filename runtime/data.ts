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
  /** Values of x per row (the product of `sample`). */
  readonly features: number;
  /** The shape of one row of x where it is not a vector (images: [C, H, W]); default [features]. */
  readonly sample?: readonly number[];
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

/** Data given in memory: rows of numbers, or a flat Float32Array with the shape of the whole (first dim the rows). */
export interface ArrayData {
  readonly x: readonly (readonly number[])[] | Float32Array | readonly number[];
  readonly y: readonly (readonly number[])[] | readonly number[] | Float32Array;
  /** The shape of x when it is flat ([rows, ...]); rows of numbers need none. */
  readonly shape?: readonly number[];
}

/** A `Dataset` from data in memory (copied), checked: as many targets as rows, no ragged rows. */
export function arrayData(d: ArrayData): Dataset {
  const flatY = (rows: number): Float32Array => {
    const y = d.y instanceof Float32Array ? Float32Array.from(d.y) : Float32Array.from((d.y as readonly (number | readonly number[])[]).map((v) => (typeof v === 'number' ? v : single(v))));
    if (y.length !== rows) throw new DataError(`data: ${rows} row(s) of x but ${y.length} target(s) in y`);
    return y;
  };
  const single = (v: readonly number[]): number => {
    if (v.length !== 1) throw new DataError(`data: each row of y must hold one value, got ${v.length}`);
    return v[0];
  };
  if (d.x instanceof Float32Array || (d.x.length > 0 && typeof d.x[0] === 'number')) {
    const flat = d.x instanceof Float32Array ? Float32Array.from(d.x) : Float32Array.from(d.x as readonly number[]);
    const shape = d.shape ?? (d.x instanceof Float32Array ? undefined : [flat.length, 1]);
    if (!shape || shape.length < 2) throw new DataError('data: a flat x needs its shape ([rows, ...], at least two dims)');
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== flat.length || shape.some((s) => !Number.isInteger(s) || s < 1)) throw new DataError(`data: x holds ${flat.length} values, its shape [${shape.join(', ')}] says ${size}`);
    const rows = shape[0];
    const sample = shape.slice(1);
    return { x: flat, y: flatY(rows), rows, features: size / rows, ...(sample.length > 1 && { sample }) };
  }
  const xRows = d.x as readonly (readonly number[])[];
  const features = xRows[0]?.length ?? 0;
  xRows.forEach((r, i) => {
    if (r.length !== features) throw new DataError(`data: row ${i + 1} of x holds ${r.length} values, the first holds ${features}`);
  });
  if (!xRows.length || !features) throw new DataError('data: x holds no rows');
  const x = new Float32Array(xRows.length * features);
  xRows.forEach((r, i) => x.set(r, i * features));
  return { x, y: flatY(xRows.length), rows: xRows.length, features };
}

/** First row (1-based, in the parsed rows) holding NaN, or 0. */
export function firstNaNRow(d: Dataset): number {
  for (let r = 0; r < d.rows; r++) {
    if (Number.isNaN(d.y[r])) return r + 1;
    for (let c = 0; c < d.features; c++) if (Number.isNaN(d.x[r * d.features + c])) return r + 1;
  }
  return 0;
}
