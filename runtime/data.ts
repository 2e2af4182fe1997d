/**
 * Data sets as the seed reads them: `np.loadtxt(path, delimiter=',')`, all columns but the last are the
 * features `x`, the last is the target `y`. Reading follows numpy (runtime/csv.ts); this file makes the
 * table a data set. Parsing works on text or on a table read chunk by chunk (reading files is the
 * caller's business: runtime/node.ts `readCsvFile`), and every error names the file, line and column.
 */
import { CsvReader, CsvTable, DataError, type Place } from './csv.ts';

export { DataError, CsvReader, CsvTable } from './csv.ts';

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
  /** Where the data came from (a file name), for errors. */
  readonly source?: string;
  /** The file line of data row `row` (0-based), for errors; row + 1 when absent. */
  readonly lineOf?: (row: number) => number;
  /** For errors: the text of a value stored as ±Infinity because float32 cannot hold it (1e39), as written. */
  readonly beyondFloat32?: (row: number, col: number) => string | undefined;
}

/** A numeric table: every column a number; rows, columns and values row-major. */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float32Array;
}

/** Reads CSV text as numpy.loadtxt(delimiter=',') would. */
export function parseTable(text: string, file = '<data>'): CsvTable {
  const r = new CsvReader(file);
  r.pushText(text);
  return r.end();
}

export function parseMatrix(text: string, file = '<data>'): Matrix {
  const t = parseTable(text, file);
  return { rows: t.rows, cols: t.cols, data: t.copyColumns(0, t.cols) };
}

/** The data set of a table: all columns but the last are x, the last is y (the table's values move into them). */
export function tableDataset(t: CsvTable, place?: Place): Dataset {
  if (t.cols < 2) throw new DataError(`${t.file}: expected at least 2 columns (features, then the label), got ${t.cols}`);
  const { x, y } = t.takeXY(place);
  return { x, y, rows: t.rows, features: t.cols - 1, source: t.file, lineOf: t.lines(), beyondFloat32: t.beyondFloat32() };
}

export function parseCsv(text: string, file = '<data>'): Dataset {
  return tableDataset(parseTable(text, file));
}

/** Data given inline as rows of features and rows of targets. */
export function inlineData(xRows: readonly (readonly number[])[], yRows: readonly (readonly number[])[]): Dataset {
  const rows = xRows.length;
  const features = xRows[0]?.length ?? 0;
  return { x: Float32Array.from(xRows.flat()), y: Float32Array.from(yRows.flat()), rows, features };
}

/** `file:line: column c` of a value of a data set (column 1-based, x's columns first, then y's). */
export function wherePos(d: Dataset, row: number, col: number): string {
  return `${d.source ?? 'data'}:${d.lineOf ? d.lineOf(row) : row + 1}: column ${col + 1}`;
}

/**
 * Every value finite, else a DataError naming the first that is not (NaN, Infinity, -Infinity, or a
 * number beyond float32's range, which the file's reader stored as ±Infinity: said as written).
 */
export function checkFinite(d: Dataset): void {
  const F = d.features;
  const refuse = (r: number, c: number, v: number): never => {
    const written = d.beyondFloat32?.(r, c);
    throw new DataError(`${wherePos(d, r, c)}: ${written !== undefined ? `${written} is outside float32's range (±3.4e38)` : `${v} is not a finite number (the data must hold finite values)`}`);
  };
  for (let r = 0; r < d.rows; r++) {
    for (let c = 0; c < F; c++) if (!Number.isFinite(d.x[r * F + c])) refuse(r, c, d.x[r * F + c]);
    if (!Number.isFinite(d.y[r])) refuse(r, F, d.y[r]);
  }
}

/** Data given in memory: rows of numbers, or a flat Float32Array with the shape of the whole (first dim the rows). */
export interface ArrayData {
  readonly x: readonly (readonly number[])[] | Float32Array | readonly number[];
  readonly y: readonly (readonly number[])[] | readonly number[] | Float32Array;
  /** The shape of x when it is flat ([rows, ...]); rows of numbers need none. */
  readonly shape?: readonly number[];
}

/**
 * A `Dataset` from data in memory, checked: as many targets as rows, no ragged rows. A Float32Array is
 * taken as it is, not copied (training copies it once, into the runtime's heap, for as long as it runs);
 * rows and arrays of numbers are converted.
 */
export function arrayData(d: ArrayData): Dataset {
  for (const k of ['x', 'y'] as const) {
    const v: unknown = d[k];
    if (!Array.isArray(v) && !(ArrayBuffer.isView(v) && !(v instanceof DataView))) throw new DataError(`data: ${k} must be an array (rows of numbers, or numbers) or a typed array, got ${v === null ? 'null' : typeof v}`);
  }
  // (JavaScript would turn '1' into 1 and 'four', [1, 2] or true into NaN or 1, said later as "NaN is not a finite number")
  const notNumber = (where: string, v: unknown, hint = ''): DataError =>
    new DataError(`data: ${where} is ${typeof v === 'string' ? `'${v.length > 40 ? v.slice(0, 40) + '…' : v}' (a string)` : Array.isArray(v) ? 'an array' : v === null || typeof v !== 'object' ? String(v) : 'an object'}, not a number${hint}`);
  const flatY = (rows: number): Float32Array => {
    const y = d.y instanceof Float32Array ? d.y : Float32Array.from((d.y as readonly unknown[]).map((v, i) => (typeof v === 'number' ? v : Array.isArray(v) ? single(v, i) : badY(`y[${i}]`, v))));
    if (y.length !== rows) throw new DataError(`data: ${rows} row(s) of x but ${y.length} target(s) in y`);
    return y;
  };
  const badY = (where: string, v: unknown): never => {
    throw notNumber(where, v);
  };
  const single = (v: readonly unknown[], i: number): number => {
    if (v.length !== 1) throw new DataError(`data: each row of y must hold one value, got ${v.length}`);
    return typeof v[0] === 'number' ? v[0] : badY(`y[${i}][0]`, v[0]);
  };
  if (d.x instanceof Float32Array || (d.x.length > 0 && typeof d.x[0] === 'number')) {
    if (!(d.x instanceof Float32Array)) (d.x as readonly unknown[]).forEach((v, i) => { if (typeof v !== 'number') throw notNumber(`x[${i}]`, v); });
    const flat = d.x instanceof Float32Array ? d.x : Float32Array.from(d.x as readonly number[]);
    const shape = d.shape ?? (d.x instanceof Float32Array ? undefined : [flat.length, 1]);
    if (!shape || shape.length < 2) throw new DataError('data: a flat x needs its shape ([rows, ...], at least two dims)');
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== flat.length || shape.some((s) => !Number.isInteger(s) || s < 1)) throw new DataError(`data: x holds ${flat.length} values, its shape [${shape.join(', ')}] says ${size}`);
    const rows = shape[0];
    const sample = shape.slice(1);
    // a shape given is the rows' shape, held to the model's input; one made here is only their count
    return { x: flat, y: flatY(rows), rows, features: size / rows, ...((d.shape || sample.length > 1) && { sample }) };
  }
  const xRows = d.x as readonly (readonly number[])[];
  const features = xRows[0]?.length ?? 0;
  xRows.forEach((r, i) => {
    if (r.length !== features) throw new DataError(`data: row ${i + 1} of x holds ${r.length} values, the first holds ${features}`);
    if (ArrayBuffer.isView(r)) return;
    for (let j = 0; j < r.length; j++) {
      const v: unknown = r[j];
      if (typeof v !== 'number') throw notNumber(`x[${i}][${j}]`, v, Array.isArray(v) ? ' (x is rows of numbers: an input of higher rank takes each row flat, row-major)' : '');
    }
  });
  if (!xRows.length || !features) throw new DataError('data: x holds no rows');
  const x = new Float32Array(xRows.length * features);
  xRows.forEach((r, i) => x.set(r, i * features));
  return { x, y: flatY(xRows.length), rows: xRows.length, features };
}
