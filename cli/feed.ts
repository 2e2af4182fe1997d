/**
 * `graphc run`'s inputs: which file feeds which of the model's inputs (`--input name=file`, or a bare
 * file when the model has one input), and each file read into the input's shape. A CSV's rows are
 * examples, each row's values the rest of the input's shape in row-major order (`[N, 1, 8, 8]` from 64
 * columns; one column more is a label, ignored); a `.npy` file and a JSON document (nested arrays, or
 * `{ "shape": [...], "data": [...] }`) carry their own shape. Symbolic dims are bound from what the files
 * hold, the same symbol to the same size across inputs. Integer inputs (int64 in the model) take integers
 * of at most 2^24 in magnitude (graphc holds them in float32, exactly to there); an input of a small integer
 * type (uint8, int8, uint16, int16, uint32, uint64) takes values in its range too. The extension (`.csv`,
 * `.npy`, `.json`) names the format, and any other is refused; a file without one is a `.npy` by its magic,
 * else CSV. Every value is finite (NaN, Infinity and numbers beyond float32's range are refused, as
 * training data's are, unless the caller allows them: `--allow-non-finite`). Every mistake is one line
 * naming the file (and a CSV's line and column) and what was expected.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import type { Node } from '../compiler/ir/node.ts';
import { bindShape, shapeStr, ShapeError, type Dim } from '../compiler/ir/shape.ts';
import { readCsvTable } from '../runtime/node.ts';
import { DataError } from '../runtime/data.ts';
import { checkReadable } from './readable.ts';
import { readNpy, NpyError } from './npy.ts';
import { readJsonTensor } from './json-tensor.ts';
import { UserError } from './user-error.ts';
import { intTypeProblem, type IntType } from '../compiler/ops/int-types.ts';

export interface Feed {
  readonly name: string;
  readonly shape: number[];
  /** Float64Array for an input the model declares float64 (the session narrows it, refusing what float32 cannot hold). */
  readonly data: Float32Array | Float64Array;
}

const INT_LIMIT = 2 ** 24;
const dtypeName = (n: Node) => (n.dtype === 'i64' ? 'int64' : n.dtype === 'bool' ? 'bool' : 'float32');
export const describeInput = (n: Node) => `'${String(n.attrs.name)}' ${shapeStr(n.shape)} ${dtypeName(n)}`;

/** Pairs each `--input` with a model input: `name=file` where name is an input's, else a bare file. */
export function assignInputs(specs: readonly string[], inputs: readonly Node[], model: string, defaults: readonly Node[] = []): Map<Node, string> {
  // an input with a default (an initializer in the file) may be given by name; the others must be
  const byName = new Map([...defaults, ...inputs].map((n) => [String(n.attrs.name), n]));
  const out = new Map<Node, string>();
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const named = eq > 0 ? byName.get(spec.slice(0, eq)) : undefined;
    let node: Node, file: string;
    if (named) [node, file] = [named, spec.slice(eq + 1)];
    else if (eq === 0) throw new UserError(`--input ${spec}: no input name before '='`);
    else {
      if (inputs.length !== 1) {
        const hint = eq > 0 ? `'${spec.slice(0, eq)}' is not one of its inputs; ` : '';
        throw new UserError(`${model}: ${hint}the model has ${inputs.length} inputs (${inputs.map(describeInput).join(', ')}): give each as --input name=file`);
      }
      // `name=file` with a name the model lacks (a file so named is written ./name=file)
      if (eq > 0 && !/[/\\]/.test(spec.slice(0, eq)) && !existsSync(spec)) throw new UserError(`${model}: '${spec.slice(0, eq)}' is not an input of the model (its input: ${describeInput(inputs[0])})`);
      [node, file] = [inputs[0], spec];
    }
    if (!file) throw new UserError(`--input ${spec}: no file name after '='`);
    if (out.has(node)) throw new UserError(`${model}: input '${String(node.attrs.name)}' is given twice (${out.get(node)}, ${file})`);
    out.set(node, file);
  }
  const missing = inputs.filter((n) => !out.has(n));
  if (missing.length) throw new UserError(`${model}: no file for input ${missing.map(describeInput).join(', ')}: give --input ${inputs.length > 1 ? 'name=file' : 'FILE'}`);
  return out;
}

/**
 * Reads every input's file, in the model's input order, binding symbolic dims in `env`; a value that is
 * not finite (in float32) is refused unless `allowNonFinite`. The inputs named in `double` (declared
 * float64) keep their float64 values.
 */
export function readInputs(files: ReadonlyMap<Node, string>, env: Map<string, number>, allowNonFinite = false, double: ReadonlySet<string> = new Set(), types: ReadonlyMap<string, IntType> = new Map()): Feed[] {
  return [...files].map(([node, file]) => readInput(node, file, env, allowNonFinite, double.has(String(node.attrs.name)), types.get(String(node.attrs.name))));
}

function magic(abs: string): string {
  const fd = openSync(abs, 'r');
  try {
    const b = Buffer.alloc(6);
    return b.subarray(0, readSync(fd, b, 0, 6, null)).toString('latin1');
  } finally {
    closeSync(fd);
  }
}

/** Where value `i` of a file of `shape` is: its index, e.g. `[2, 0]`. */
const indexOf = (shape: readonly number[], i: number): string => {
  const at: number[] = [];
  for (let k = shape.length - 1; k >= 0; k--) {
    at.unshift(i % shape[k]);
    i = Math.floor(i / shape[k]);
  }
  return `[${at.join(', ')}]`;
};

/**
 * The format a file's extension names (any case), or undefined for a file without one; any other
 * extension is refused: a .yaml or .txt file is not read as CSV because it happens to parse as one.
 */
function formatOf(file: string): 'csv' | 'npy' | 'json' | undefined {
  const ext = extname(file);
  if (ext === '') return undefined;
  const format = ext.slice(1).toLowerCase();
  if (format === 'csv' || format === 'npy' || format === 'json') return format;
  throw new UserError(`${file}: --input reads .csv, .npy or .json files (by the extension), not ${ext}`);
}

function readInput(node: Node, file: string, env: Map<string, number>, allowNonFinite: boolean, double: boolean, small: IntType | undefined): Feed {
  const name = String(node.attrs.name);
  const format = formatOf(file);
  const abs = checkReadable(file, `data for input '${name}'`);
  const what = `${file}: input ${describeInput(node).replace(/ float32$/, double ? ' float64' : ' float32').replace(/ int64$/, small ? ` ${small.name}` : ' int64')}`;
  let shape: number[], values: ArrayLike<number>, ints: boolean;
  // where value i is, for the one-line refusal of a value that is not finite
  let where = (i: number) => `${what}: value ${i} (at ${indexOf(shape, i)})`;
  // a CSV's number that float32 cannot hold, as written (its table holds ±Infinity)
  let written = (_i: number): string | undefined => undefined;
  try {
    // a file without an extension by its first bytes (a CSV is read as a stream, below)
    if (format === 'npy' || (format === undefined && magic(abs) === '\x93NUMPY')) {
      const bytes = readFileSync(abs);
      const a = readNpy(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      const want = node.dtype === 'i64' ? ['int'] : node.dtype === 'bool' ? ['bool', 'int'] : ['float'];
      if (!want.includes(a.kind)) throw new UserError(`${what}: expected ${node.dtype === 'i64' ? 'an integer (int64, int32, uint8...)' : node.dtype === 'bool' ? 'a bool' : 'a float32 or float64'} array, the file holds ${a.descr}`);
      [shape, values, ints] = [a.shape, a.data, a.kind !== 'float'];
    } else if (format === 'json') {
      const t = readJsonTensor(readFileSync(abs, 'utf8'));
      [shape, values, ints] = [t.shape, t.data, false];
    } else {
      const table = readCsvTable(abs, file);
      shape = csvShape(node.shape, table.rows, table.cols, env, what);
      const per = shape.slice(1).reduce((a, b) => a * b, 1);
      [values, ints] = [table.copyColumns(0, node.shape.length === 0 ? 1 : per), false];
      const lineOf = table.lines(), beyond = table.beyondFloat32();
      where = (i) => `${file}:${lineOf(Math.floor(i / per))}: column ${(i % per) + 1}`;
      written = (i) => beyond(Math.floor(i / per), i % per);
    }
    bindShape(node.shape, shape, env, what);
  } catch (e) {
    if (e instanceof NpyError || e instanceof ShapeError) throw new UserError(e.message.startsWith(file) ? e.message : `${what}: ${e.message}`);
    if (e instanceof DataError || e instanceof UserError) throw e;
    throw new UserError(`${what}: ${(e as Error).message.split('\n')[0]}`);
  }
  const data = double ? new Float64Array(values.length) : new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (node.dtype === 'bool' && v !== 0 && v !== 1) throw new UserError(`${what}: expected 0 or 1, value ${i} is ${v}`);
    if (node.dtype === 'i64' && !ints && !(Number.isInteger(v) && Math.abs(v) <= INT_LIMIT)) throw new UserError(`${what}: expected integers within ±2^24, value ${i} is ${v}`);
    if (node.dtype === 'i64' && ints && Math.abs(v) > INT_LIMIT) throw new UserError(`${what}: value ${i} (${v}) is beyond ±2^24, which graphc holds exactly`);
    const problem = small && intTypeProblem(small, v);
    if (problem) throw new UserError(`${what}: value ${i} (${v}) is ${problem}`);
    data[i] = v;
    if (!allowNonFinite && !Number.isFinite(Math.fround(data[i]))) {
      const text = Number.isFinite(v) ? String(v) : written(i);
      throw new UserError(`${where(i)}: ${text !== undefined ? `${text} is outside float32's range (±3.4e38)` : `${v} is not a finite number`} (inputs must be finite; --allow-non-finite runs on them)`);
    }
  }
  return { name, shape, data };
}

/**
 * The shape a CSV table fills: rows are the first dim; a row's values fill the rest, whose one unknown
 * symbolic dim (if any) is what the columns leave. A column beyond that is a label, ignored.
 */
function csvShape(want: readonly Dim[], rows: number, cols: number, env: ReadonlyMap<string, number>, what: string): number[] {
  if (want.length === 0) {
    if (rows !== 1 || cols !== 1) throw new UserError(`${what}: expected one value (a scalar), the file has ${rows} rows of ${cols} columns`);
    return [];
  }
  const rest = want.slice(1).map((d) => (typeof d === 'number' ? d : env.get(d) ?? d));
  const free = rest.flatMap((d, k) => (typeof d === 'string' ? [k] : []));
  const known = rest.reduce<number>((a, d) => a * (typeof d === 'number' ? d : 1), 1);
  if (free.length > 1) throw new UserError(`${what}: a CSV row cannot fill ${free.length} unknown dims (${free.map((k) => rest[k]).join(', ')}); give a .npy or JSON file`);
  if (free.length === 1) {
    if (known === 0 || cols % known !== 0) throw new UserError(`${what}: expected a multiple of ${known} columns per row, the file has ${cols}`);
    rest[free[0]] = cols / known;
    return [rows, ...(rest as number[])];
  }
  if (cols !== known && cols !== known + 1) throw new UserError(`${what}: expected ${known} columns per row (${shapeStr(rest)} row-major${known > 0 ? `, or ${known + 1} with a label last` : ''}), the file has ${cols}`);
  return [rows, ...(rest as number[])];
}
