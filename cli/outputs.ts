/**
 * `graphc run`'s outputs: printed as text or JSON, or written to files by extension (`.csv`: one row per
 * first-dim entry, the rest of the shape row-major across the columns, as `graphc run` reads a CSV;
 * `.npy`: float32 (float64 for an output the model declares so), int64, int32 or the small integer type an
 * output declares (int32 as `<i4`, uint8 as `|u1`...), or bool; `.json`: the output as `{ shape, data }`, which `graphc run` reads back; a bare `.json` for a model
 * with several outputs holds them all, as `--json` prints them). Numbers are the shortest decimals that read back as the same
 * float32. Files are written atomically, after the run, so a failure leaves none half-written.
 */
import { shapeStr } from '../compiler/ir/shape.ts';
import type { DType } from '../compiler/ir/node.ts';
import { isSmallKind, writeNpy } from './npy.ts';
import { INT_TYPES_BY_SHORT } from '../compiler/ops/int-types.ts';
import { checkNotInput, checkWritable, writeAtomic, type Inputs } from './write.ts';
import { UserError } from './user-error.ts';

export interface OutputValue {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
  /**
   * 'f64': an output the model declares float64 (computed in float32; written as float64); u8, i8, u16, i16,
   * u32, u64: an output of that small integer type, i32 one declared int32 (each written as it).
   */
  readonly dtype?: DType | 'f64' | string;
}
export type Outputs = Record<string, OutputValue>;

/** The shortest decimal that reads back as the same float32 (integers as integers). */
export function f32String(v: number): string {
  if (!Number.isFinite(v) || (Number.isInteger(v) && Math.abs(v) <= 2 ** 24)) return String(v);
  for (let p = 1; p < 9; p++) {
    const s = Number(v.toPrecision(p));
    if (Math.fround(s) === v) return String(s);
  }
  return String(Number(v.toPrecision(9)));
}

const jsonNumber = (v: number) => (Number.isFinite(v) ? Number(f32String(v)) : String(v));
const csvNumber = (v: number) => (Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : f32String(v));

/** One output as the JSON `{ shape, data }` (data flat, row-major). */
export const jsonTensor = (v: OutputValue) => ({ shape: [...v.shape], ...(v.dtype && v.dtype !== 'f32' ? { dtype: dtypeName(v.dtype) } : {}), data: Array.from(v.data, jsonNumber) });

/** An output's dtype as JSON says it: int64, int32, float64, bool, or the small integer type's name (uint8...). */
const dtypeName = (d: string) => (d === 'i64' ? 'int64' : d === 'i32' ? 'int32' : d === 'f64' ? 'float64' : d === 'bool' ? 'bool' : INT_TYPES_BY_SHORT.get(d)?.name ?? d);

/**
 * Outputs as text: each output's name and shape, then one line per row (the first dimension). Rows are
 * counted from the shape, never from the buffer, so a zero-size dimension prints no values.
 */
export function formatOutputs(outputs: Outputs): string {
  const lines: string[] = [];
  for (const [oname, v] of Object.entries(outputs)) {
    const rows = v.shape.length > 0 ? v.shape[0] : 1;
    const width = v.shape.slice(1).reduce((a, b) => a * b, 1);
    const num = v.dtype && v.dtype !== 'f32' && v.dtype !== 'f64' ? String : (x: number) => x.toPrecision(7);
    lines.push(`${oname} ${shapeStr(v.shape)}`);
    if (width > 0) for (let r = 0; r < rows; r++) lines.push(Array.from({ length: width }, (_, k) => num(v.data[r * width + k])).join(' '));
  }
  return lines.join('\n') + '\n';
}

export function csvText(v: OutputValue): string {
  const rows = v.shape.length > 0 ? v.shape[0] : 1;
  const width = v.shape.slice(1).reduce((a, b) => a * b, 1);
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) lines.push(Array.from({ length: width }, (_, k) => csvNumber(v.data[r * width + k])).join(','));
  return lines.length ? lines.join('\n') + '\n' : '';
}

const FORMATS = /\.(csv|npy|json)$/i;

/**
 * Pairs each `--output` with model outputs: `name=file`, or a bare file for a model with one output (a
 * bare `.json` takes every output). Checks that every file can be written, before the run.
 */
export function assignOutputs(specs: readonly string[], names: readonly string[], model: string, inputs: Inputs = []): Map<string, string[]> {
  const files = new Map<string, string[]>();
  const taken = new Set<string>();
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const named = eq > 0 && names.includes(spec.slice(0, eq));
    // `name=file` with a name the model lacks (a file so named is written ./name=file)
    if (eq > 0 && !named && !/[/\\]/.test(spec.slice(0, eq))) throw new UserError(`${model}: '${spec.slice(0, eq)}' is not an output of the model (its outputs: ${names.join(', ')}; for a file named ${spec}, write ./${spec})`);
    const file = named ? spec.slice(eq + 1) : spec;
    if (!file) throw new UserError(`--output ${spec}: no file name after '='`);
    if (!FORMATS.test(file)) throw new UserError(`${file}: --output writes .csv, .npy or .json files (by the extension)`);
    let outs: string[];
    if (named) outs = [spec.slice(0, eq)];
    else if (names.length === 1 || /\.json$/i.test(file)) outs = [...names];
    else throw new UserError(`${model}: the model has ${names.length} outputs (${names.join(', ')}): write ${/\.npy$/i.test(file) ? 'a .npy' : 'a .csv'} file per output with --output name=file`);
    for (const o of outs) {
      if (taken.has(o)) throw new UserError(`${model}: output '${o}' is written twice`);
      taken.add(o);
    }
    if (files.has(file)) throw new UserError(`${file}: named by --output twice`);
    checkNotInput(file, '--output', inputs);
    checkWritable(file);
    files.set(file, outs);
  }
  return files;
}

/** Writes each file of `assignOutputs` (atomically, one after another). */
export async function writeOutputs(files: ReadonlyMap<string, readonly string[]>, outputs: Outputs, doc: (outs: Outputs) => unknown): Promise<void> {
  for (const [file, names] of files) {
    const v = outputs[names[0]];
    if (/\.csv$/i.test(file)) await writeAtomic(file, csvText(v));
    else if (/\.npy$/i.test(file)) await writeAtomic(file, writeNpy(v.shape, v.data, v.dtype && isSmallKind(v.dtype) ? v.dtype : v.dtype === 'i64' ? 'int' : v.dtype === 'bool' ? 'bool' : v.dtype === 'f64' ? 'double' : 'float'));
    else await writeAtomic(file, JSON.stringify(names.length === 1 ? jsonTensor(v) : doc(Object.fromEntries(names.map((n) => [n, outputs[n]])))) + '\n');
  }
}
