/**
 * Tensors read from an ONNX file, checked before anything is allocated: the data present must match the
 * dims, dims must be non-negative integers, a tensor at most `MAX_ELEMENTS` elements of rank at most
 * `MAX_RANK`, and all the tensors a file holds (initializers, Constant values, tensor attributes, in the
 * graph and in its subgraphs) at most `MAX_TOTAL_ELEMENTS` together. A graph holds at most `MAX_NODES`
 * nodes, its subgraphs' (If's branches, at any depth) counted. Inputs' defaults that graphc's export
 * records in the metadata are bounded likewise. Each refusal is one line.
 */
import { onnx, DataType, toNumber, toInteger, DEFAULT_KEY, type ModelProto } from './proto.ts';
import { OnnxImportError } from './import-error.ts';
import { onnxTypeName } from '../compiler/ops/onnx-read.ts';
import { INT_TYPES } from '../compiler/ops/int-types.ts';

type TensorProto = import('onnx-proto').onnx.ITensorProto;
type GraphProto = import('onnx-proto').onnx.IGraphProto;

/** The largest tensor graphc accepts from a file (elements). */
export const MAX_ELEMENTS = 1 << 28;
/** The highest rank graphc accepts from a file. */
export const MAX_RANK = 8;
/** The most elements the tensors of one file may hold together (1 GiB of float32). */
export const MAX_TOTAL_ELEMENTS = 1 << 28;
/** The most nodes one graph may hold, with the nodes of its subgraphs (If's branches). */
export const MAX_NODES = 1 << 20;

/**
 * The graph and every subgraph of its nodes (the branches of If, of either side, at any depth), each with
 * its name (null for the graph itself). Walked with a stack of its own, not by recursion: a hostile file
 * may nest subgraphs deeper than the call stack goes.
 */
function graphsOf(g: GraphProto): { graph: GraphProto; sub: string | null }[] {
  const all: { graph: GraphProto; sub: string | null }[] = [];
  const stack = [{ graph: g, sub: null as string | null }];
  for (let h = stack.pop(); h; h = stack.pop()) {
    all.push(h);
    for (const n of h.graph.node ?? []) {
      for (const a of n.attribute ?? []) for (const graph of a.g ? [a.g, ...(a.graphs ?? [])] : (a.graphs ?? [])) stack.push({ graph, sub: graph.name ?? '' });
    }
  }
  return all;
}

/** Refuses a graph of more than `MAX_NODES` nodes, its subgraphs' counted, before any is built. */
export function checkNodes(g: GraphProto): void {
  const top = (g.node ?? []).length;
  const inner = graphsOf(g).reduce((sum, h) => sum + (h.sub === null ? 0 : (h.graph.node ?? []).length), 0);
  if (top + inner > MAX_NODES) fail(`the graph has ${top + inner} nodes${inner ? `, ${inner} of them in subgraphs (If branches)` : ''}, more than graphc accepts (${MAX_NODES})`);
}

/** The elements `t` declares, or null when its dims are not valid (its own check refuses it then). */
function declaredCount(t: TensorProto): number | null {
  let count = 1;
  for (const d of t.dims ?? []) {
    let n: number;
    try {
      n = toNumber(d as number);
    } catch {
      return null;
    }
    if (!Number.isInteger(n) || n < 0) return null;
    count *= n;
  }
  return count <= MAX_ELEMENTS ? count : null;
}

/**
 * Refuses a graph whose tensors (initializers, Constant values, tensor attributes, its subgraphs' too, read
 * or not) claim more than `MAX_TOTAL_ELEMENTS` elements together, before any of them is read or allocated.
 */
export function checkTotal(g: GraphProto): void {
  let total = 0;
  const add = (t: TensorProto | null | undefined, what: () => string): void => {
    if (!t) return;
    total += declaredCount(t) ?? 0;
    if (total > MAX_TOTAL_ELEMENTS) fail(`${what()}: the file's tensors claim ${total} elements in all, more than graphc accepts (${MAX_TOTAL_ELEMENTS})`);
  };
  for (const { graph, sub } of graphsOf(g)) {
    const where = sub === null ? '' : `subgraph '${sub}' `;
    for (const t of graph.initializer ?? []) add(t, () => `${where}initializer '${t.name}'`);
    (graph.node ?? []).forEach((n, i) => {
      for (const a of n.attribute ?? []) {
        const what = () => `${where}node '${n.name || i}' (${n.opType}) attribute '${a.name}'`;
        add(a.t, what);
        for (const t of a.tensors ?? []) add(t, what);
      }
    });
  }
}

/** One line, printable: names read from a hostile file may hold control characters or be huge. */
export const printable = (msg: string) => {
  const clean = msg.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return clean.length > 400 ? clean.slice(0, 400) + '…' : clean;
};

export const fail = (msg: string): never => {
  throw new OnnxImportError(printable(msg));
};

function checkDims(what: string, raw: readonly unknown[]): number[] {
  if (raw.length > MAX_RANK) fail(`${what}: rank ${raw.length} is more than ${MAX_RANK}`);
  const dims = raw.map((d) => {
    let n: number;
    try {
      n = toNumber(d as number);
    } catch {
      return fail(`${what}: dimension ${String(d)} is too large`);
    }
    if (!Number.isInteger(n) || n < 0) fail(`${what}: dimension ${n} is negative`);
    return n;
  });
  const count = dims.reduce((p, d) => p * d, 1);
  if (count > MAX_ELEMENTS) fail(`${what}: dims [${dims.join(', ')}] claim ${count} elements, more than graphc accepts (${MAX_ELEMENTS})`);
  return dims;
}

/** The largest finite float32, and the smallest positive normal one: the range graphc computes float64 values in. */
export const FLOAT32_MAX = 3.4028234663852886e38;
export const FLOAT32_MIN_NORMAL = 2 ** -126;

/**
 * Float64 values as graphc computes them, in float32 (the practice of TensorFlow.js's converter), refusing
 * in one line a finite value whose magnitude float32 cannot hold (above FLOAT32_MAX it would become
 * Infinity; below FLOAT32_MIN_NORMAL it would lose its digits or become 0): never a silent wrong answer.
 */
export function narrowDoubles(values: ArrayLike<number>, what: string): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i], a = Math.abs(v);
    if (a > FLOAT32_MAX && a !== Infinity) fail(`${what}: float64 value ${i} is ${v}, beyond float32's range (±3.4e38), in which graphc computes float64 tensors`);
    if (a !== 0 && a < FLOAT32_MIN_NORMAL) fail(`${what}: float64 value ${i} is ${v}, below float32's smallest normal magnitude (1.2e-38), in which graphc computes float64 tensors`);
    out[i] = v;
  }
  return out;
}

/**
 * Float32 values of a tensor (float32, or float64 narrowed by `narrowDoubles`), after checking that the
 * data present matches its dims.
 */
export function floats(t: TensorProto, what: string): { dims: number[]; data: Float32Array } {
  const dims = checkDims(what, t.dims ?? []);
  const count = dims.reduce((p, d) => p * d, 1);
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) fail(`${what}: external data is not supported`);
  const double = t.dataType === DataType.DOUBLE;
  if (t.dataType !== DataType.FLOAT && !double) fail(`${what}: data type ${onnxTypeName(t.dataType)} is not float32 or float64`);
  const width = double ? 8 : 4;
  const raw = t.rawData;
  if (raw && raw.length > 0) {
    if (raw.length !== count * width) fail(`${what}: dims [${dims.join(', ')}] need ${count * width} bytes of data, the file holds ${raw.length}`);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    if (double) return { dims, data: narrowDoubles(Float64Array.from({ length: count }, (_, i) => view.getFloat64(i * 8, true)), what) };
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) data[i] = view.getFloat32(i * 4, true);
    return { dims, data };
  }
  const fd = (double ? t.doubleData : t.floatData) ?? [];
  if (fd.length !== count) fail(`${what}: dims [${dims.join(', ')}] need ${count} values, the file holds ${fd.length}`);
  return { dims, data: double ? narrowDoubles(fd, what) : Float32Array.from(fd) };
}

/**
 * A bool tensor's values as graphc holds every bool: 0 and 1 (raw_data holds one byte per value, any but 0
 * true, as onnxruntime reads them; else int32_data).
 */
export function bools(t: TensorProto, what: string): { dims: number[]; data: Float32Array } {
  const dims = checkDims(what, t.dims ?? []);
  const count = dims.reduce((p, d) => p * d, 1);
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) fail(`${what}: external data is not supported`);
  if (t.dataType !== DataType.BOOL) fail(`${what}: expected bools, got data type ${onnxTypeName(t.dataType)}`);
  const raw = t.rawData;
  if (raw && raw.length > 0) {
    if (raw.length !== count) fail(`${what}: dims [${dims.join(', ')}] need ${count} bytes of data, the file holds ${raw.length}`);
    return { dims, data: Float32Array.from(raw, (b) => (b !== 0 ? 1 : 0)) };
  }
  const src = t.int32Data ?? [];
  if (src.length !== count) fail(`${what}: dims [${dims.join(', ')}] need ${count} values, the file holds ${src.length}`);
  return { dims, data: Float32Array.from(src, (v) => (v !== 0 ? 1 : 0)) };
}

export const dimsOf = (t: TensorProto): number[] => (t.dims ?? []).map((d) => toNumber(d as number));

/**
 * An integer tensor's values (int64, int32, or a small type: uint8, int8, uint16, int16, uint32, uint64),
 * exact as doubles within ±2^53 and the nearest double beyond (`toInteger`: read, and refused where a node
 * reads it, but as Slice's bounds); a value outside its type's range (int32_data holding 300 for a uint8)
 * is refused.
 */
export function ints(t: TensorProto, what: string): number[] {
  const dims = checkDims(what, t.dims ?? []);
  const count = dims.reduce((p, d) => p * d, 1);
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) fail(`${what}: external data is not supported`);
  const small = INT_TYPES.get(t.dataType ?? 0);
  if (t.dataType !== DataType.INT64 && t.dataType !== DataType.INT32 && !small) fail(`${what}: expected integers, got data type ${onnxTypeName(t.dataType)}`);
  const raw = t.rawData;
  if (raw && raw.length > 0) {
    const width = t.dataType === DataType.INT64 ? 8 : small ? Math.ceil(small.bits / 8) : 4;
    if (raw.length !== count * width) fail(`${what}: dims [${dims.join(', ')}] need ${count * width} bytes, the file holds ${raw.length}`);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const get = (i: number): number | bigint =>
      width === 8 ? (small ? view.getBigUint64(i * 8, true) : view.getBigInt64(i * 8, true))
      : width === 4 ? (small ? view.getUint32(i * 4, true) : view.getInt32(i * 4, true))
      : width === 2 ? (small!.signed ? view.getInt16(i * 2, true) : view.getUint16(i * 2, true))
      : small!.signed ? view.getInt8(i) : view.getUint8(i);
    return Array.from({ length: count }, (_, i) => toInteger(get(i)));
  }
  const src = t.dataType === DataType.INT64 ? (t.int64Data ?? []) : small && small.bits > 16 ? (t.uint64Data ?? []) : (t.int32Data ?? []);
  if (src.length !== count) fail(`${what}: dims [${dims.join(', ')}] need ${count} values, the file holds ${src.length}`);
  const values = (src as (number | { toNumber(): number; toString(): string })[]).map((v) => toInteger(v));
  if (small) {
    // uint64_data decodes as unsigned; int32_data may hold what the type cannot
    const bad = values.findIndex((v) => v < small.min || v > small.max);
    if (bad >= 0) fail(`${what}: value ${bad} is ${values[bad]}, outside ${small.name}'s range (${small.min} to ${small.max})`);
  }
  return values;
}

/** Defaults graphc's export records for inputs with no initializer (`graphc.default:<name>`: a JSON array of numbers). */
const MAX_DEFAULT = 4096;
export function recordedDefaults(model: ModelProto): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const p of model.metadataProps ?? []) {
    if (!p.key?.startsWith(DEFAULT_KEY)) continue;
    let v: unknown;
    try {
      v = JSON.parse(p.value ?? '');
    } catch (e) {
      fail(`metadata '${p.key.slice(0, 80)}': a default must be a JSON array of numbers, and this is not JSON: ${(e as Error).message.split('\n')[0].slice(0, 120)}`);
    }
    if (!Array.isArray(v) || v.length > MAX_DEFAULT || !v.every((x) => typeof x === 'number' && Number.isFinite(x)))
      fail(`metadata '${p.key.slice(0, 80)}': a default must be a JSON array of at most ${MAX_DEFAULT} finite numbers`);
    out.set(p.key.slice(DEFAULT_KEY.length), v as number[]);
  }
  return out;
}

/**
 * The index of the first value of `values` beyond ±2^53 (an int64 a double holds only approximately:
 * `toInteger`), or -1. Such a value is read only where its comparison with a dim is all that matters.
 */
export const inexactAt = (values: readonly unknown[]): number => values.findIndex((v) => typeof v === 'number' && Math.abs(v) > Number.MAX_SAFE_INTEGER);

/** The refusal of a value `inexactAt` finds: `what` names where it is read. */
export const inexactRefusal = (what: string, v: number): string =>
  `${what} holds the integer ${v.toExponential(3)}, beyond 2^53 (more than a double holds exactly); graphc reads such int64 values only as Slice's starts, ends and steps`;
