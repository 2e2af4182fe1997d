/**
 * The ONNX backend node tests (a model and input/expected-output .pb files per directory, from Debian's
 * libonnx-testdata) run through graphc's importer and Float32 runtime. A test is `unsupported` when its
 * model uses an op graphc does not import or a form it does not take (float16 or 8-bit float data),
 * with the reason; otherwise it must pass: every output within rtol 1e-3 / atol 1e-7 (onnx's backend
 * test defaults) of the expected values, with the expected shape.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OnnxImportError } from '../../export/index.ts';
import { OnnxSession } from '../../export/specialize.ts';
import { onnx, DataType, toNumber } from '../../export/proto.ts';

export type Outcome = { name: string; status: 'passed' } | { name: string; status: 'failed' | 'unsupported'; reason: string };

function readTensor(path: string): { name: string; dims: number[]; data: Float32Array | Float64Array; dtype: number } {
  const t = onnx.TensorProto.decode(readFileSync(path));
  const dims = (t.dims ?? []).map((d) => toNumber(d as number));
  const count = dims.reduce((p, d) => p * d, 1);
  let data: Float32Array | Float64Array;
  const raw = t.rawData;
  const view = raw && raw.length ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : null;
  switch (t.dataType) {
    case DataType.FLOAT:
      data = view ? Float32Array.from({ length: count }, (_, i) => view.getFloat32(i * 4, true)) : Float32Array.from(t.floatData ?? []);
      break;
    case DataType.DOUBLE:
      // fed as float64: the session narrows it (graphc computes float64 tensors in float32)
      data = view ? Float64Array.from({ length: count }, (_, i) => view.getFloat64(i * 8, true)) : Float64Array.from(t.doubleData ?? []);
      break;
    case DataType.INT64:
      data = view ? Float32Array.from({ length: count }, (_, i) => Number(view.getBigInt64(i * 8, true))) : Float32Array.from((t.int64Data ?? []).map((v) => toNumber(v as number)));
      break;
    case DataType.INT32:
      data = view ? Float32Array.from({ length: count }, (_, i) => view.getInt32(i * 4, true)) : Float32Array.from(t.int32Data ?? []);
      break;
    case DataType.BOOL:
      data = view ? Float32Array.from({ length: count }, (_, i) => view.getUint8(i)) : Float32Array.from(t.int32Data ?? []);
      break;
    // the small integer types, as ONNX stores them (raw little-endian, int32_data, uint64_data)
    case DataType.UINT8:
      data = view ? Float32Array.from({ length: count }, (_, i) => view.getUint8(i)) : Float32Array.from(t.int32Data ?? []);
      break;
    case DataType.INT8:
      data = view ? Float32Array.from({ length: count }, (_, i) => view.getInt8(i)) : Float32Array.from(t.int32Data ?? []);
      break;
    case DataType.UINT16:
      data = view ? Float32Array.from({ length: count }, (_, i) => view.getUint16(i * 2, true)) : Float32Array.from(t.int32Data ?? []);
      break;
    case DataType.INT16:
      data = view ? Float32Array.from({ length: count }, (_, i) => view.getInt16(i * 2, true)) : Float32Array.from(t.int32Data ?? []);
      break;
    case DataType.UINT32:
      data = view ? Float32Array.from({ length: count }, (_, i) => view.getUint32(i * 4, true)) : Float32Array.from((t.uint64Data ?? []).map((v) => toNumber(v as number)));
      break;
    case DataType.UINT64:
      data = view ? Float32Array.from({ length: count }, (_, i) => Number(view.getBigUint64(i * 8, true))) : Float32Array.from((t.uint64Data ?? []).map((v) => toNumber(v as number)));
      break;
    default:
      throw new TypeError(`data type ${t.dataType}`);
  }
  return { name: t.name ?? '', dims, data, dtype: t.dataType ?? 0 };
}

/** int64 and int32 inputs are bound at import; the small integer types (uint8...) are fed at run time. */
const isInt = (t: number | null | undefined) => t === DataType.INT64 || t === DataType.INT32;
const SMALL: Record<number, string> = { [DataType.UINT8]: 'u8', [DataType.INT8]: 'i8', [DataType.UINT16]: 'u16', [DataType.INT16]: 'i16', [DataType.UINT32]: 'u32', [DataType.UINT64]: 'u64' };

/** The model's graph inputs (initializers excepted), by name in order: input_k.pb feeds the k-th. */
function inputNames(modelBytes: Uint8Array): string[] {
  const g = onnx.ModelProto.decode(modelBytes).graph;
  const inits = new Set((g?.initializer ?? []).map((t) => t.name));
  return (g?.input ?? []).filter((i) => !inits.has(i.name)).map((i) => i.name ?? '');
}

/** Integer inputs of a test set (shapes, axes, indices; int64 or int32), by the model's input names. */
function intInputsOf(names: readonly string[], files: string[]): Map<string, { values: number[]; dims: number[] }> {
  const out = new Map<string, { values: number[]; dims: number[] }>();
  files.forEach((f, k) => {
    if (!isInt(onnx.TensorProto.decode(readFileSync(f)).dataType) || !names[k]) return;
    const t = readTensor(f);
    out.set(names[k], { values: Array.from(t.data), dims: t.dims });
  });
  return out;
}

export function runNodeTest(dir: string): Outcome {
  const name = dir.split('/').pop()!;
  const modelBytes = readFileSync(join(dir, 'model.onnx'));
  const sets = readdirSync(dir).filter((d) => d.startsWith('test_data_set_')).sort();
  const names = inputNames(modelBytes);
  try {
    for (const set of sets) {
      const files = readdirSync(join(dir, set));
      const list = (prefix: string) => files.filter((f) => f.startsWith(prefix)).sort((a, b) => parseInt(a.slice(prefix.length)) - parseInt(b.slice(prefix.length))).map((f) => join(dir, set, f));
      // integer inputs (axes, shapes) are bound as constants at import: graphc computes in float32; an
      // input of another type that decides a shape or a mode specialises the model on its value (OnnxSession)
      let session;
      try {
        session = new OnnxSession(modelBytes, { intInputs: intInputsOf(names, list('input_')) });
      } catch (e) {
        if (e instanceof OnnxImportError) return { name, status: 'unsupported', reason: e.message };
        return { name, status: 'failed', reason: `import crashed: ${(e as Error).stack}` };
      }
      let inputs, expected;
      try {
        inputs = list('input_').map(readTensor);
        expected = list('output_').map(readTensor);
      } catch (e) {
        return { name, status: 'unsupported', reason: `test data of ${(e as Error).message}` };
      }
      const feeds = new Map(inputs.flatMap((t, k) => (!isInt(t.dtype) && names[k] ? [[names[k], { data: t.data, shape: t.dims }] as const] : [])));
      let outputs;
      try {
        outputs = session.run(feeds);
      } catch (e) {
        if (e instanceof OnnxImportError) return { name, status: 'unsupported', reason: e.message };
        throw e;
      }
      for (const [k, [oname, got]] of [...outputs].entries()) {
        const want = expected[k];
        if (got.shape.join(',') !== want.dims.join(',')) return { name, status: 'failed', reason: `${set} output ${oname}: shape [${got.shape}] , expected [${want.dims}]` };
        // an output the model declares float64 is handed out as float64
        if ((want.dtype === DataType.DOUBLE) !== got.data instanceof Float64Array) return { name, status: 'failed', reason: `${set} output ${oname}: ${got.data.constructor.name}, expected ONNX type ${want.dtype}` };
        // an output of a small integer type says its type
        if (SMALL[want.dtype] && got.dtype !== SMALL[want.dtype]) return { name, status: 'failed', reason: `${set} output ${oname}: dtype ${got.dtype}, expected ${SMALL[want.dtype]}` };
        for (let i = 0; i < want.data.length; i++) {
          const a = got.data[i], b = want.data[i];
          const ok = Number.isNaN(b) ? Number.isNaN(a) : Math.abs(a - b) <= 1e-7 + 1e-3 * Math.abs(b);
          if (!ok) return { name, status: 'failed', reason: `${set} output ${oname}[${i}] = ${a}, expected ${b}` };
        }
      }
    }
  } catch (e) {
    return { name, status: 'failed', reason: `run: ${(e as Error).message.split('\n')[0]}` };
  }
  return { name, status: 'passed' };
}

export function runAll(root: string): Outcome[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((d) => existsSync(join(root, d, 'model.onnx')))
    .sort()
    .map((d) => runNodeTest(join(root, d)));
}
