/**
 * ONNX import: a ModelProto becomes graphc IR (inputs, initializers as parameters, nodes through the
 * import table), so graphc's runtime runs it and graphc can train it. Files are not trusted: every size
 * a header claims is checked against the bytes present and the limits before anything is allocated
 * (import-tensor.ts), every tensor a node reads must be defined, and the graph must be acyclic. Each
 * refusal is one line saying what is wrong.
 */
import { Graph } from '../compiler/ir/graph.ts';
import { inLeafScope, type Node, type DType } from '../compiler/ir/node.ts';
import * as B from '../compiler/ir/build.ts';
import { isStatic, type Dim } from '../compiler/ir/shape.ts';
import { DataType, onnx, toNumber, ProtoIntegerError, type ModelProto } from './proto.ts';
import { NEWEST_OPSET } from './import-ops.ts';
import type { IntConst } from '../compiler/ops/op.ts';
import { OnnxImportError, OnnxSpecializeError, shownName } from './import-error.ts';
import { intOutput } from './import-constant.ts';
import { boundBools, boundDims, boundInts, constDefault, declaredDims, declaredSizes, sameDims } from './import-dims.ts';
import { atSource, ownSources, type SourcePos } from '../compiler/ir/source.ts';
import { onnxTypeName } from '../compiler/ops/onnx-read.ts';
import { fail, checkNodes, checkTotal, recordedDefaults } from './import-tensor.ts';
import { float64Model, FLOAT64_NOTE } from './import-f64.ts';
import { isIntegerType } from '../compiler/ops/int-types.ts';
import { declaredTypes } from './import-int.ts';
import type { ImportedModel, ImportOptions } from './import-model.ts';
import { readInitializer, type Scope } from './import-context.ts';
import { importNodes } from './import-node.ts';
import { useImporter } from './trainable.ts';

export { MAX_ELEMENTS, MAX_NODES, MAX_RANK, MAX_TOTAL_ELEMENTS } from './import-tensor.ts';

// nodes built here are built for the caller: their position is the caller's
ownSources(import.meta.url);
// a model imported specialised on shapes is imported again for its other shapes (export/trainable.ts)
useImporter(importOnnx);

export { OnnxImportError, OnnxSpecializeError };
export type { ImportedModel, ImportOptions } from './import-model.ts';
export { IMPORTER_OPS } from './import-node.ts';

export function importOnnx(bytes: Uint8Array | ArrayBuffer, opts: ImportOptions = {}): ImportedModel {
  const model = decodeModel(bytes);
  try {
    const g = model.graph ?? fail('the model has no graph');
    const opset = toNumber((model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx')?.version as number, 'the opset');
    if (!opset) fail('the model does not import the default ONNX opset');
    if (opset > NEWEST_OPSET) fail(`opset ${opset}: graphc imports opsets up to ${NEWEST_OPSET}`);
    checkNodes(g);
    checkTotal(g);
    // every node's position is in the file (the node it comes from), never graphc's own code or the caller's
    const at = (where: string): SourcePos => ({ file: opts.file ?? 'model.onnx', line: 0, col: 0, at: where });
    return withSource(inLeafScope(() => atSource(at('graph'), () => build(model, g, opset, opts, at))), bytes, opts);
  } catch (e) {
    // an int64 field read outside a node's rule (dims, integer data): the file is malformed
    if (e instanceof ProtoIntegerError) fail(e.message);
    throw e;
  }
}

function build(model: ModelProto, g: NonNullable<ModelProto['graph']>, opset: number, opts: ImportOptions, at: (where: string) => SourcePos): ImportedModel {
  const values = new Map<string, Node>();
  const intValues = new Map<string, IntConst>();
  const params: Node[] = [];
  const inits = new Set<string>();
  const elemTypes = declaredTypes(g); // every tensor's ONNX element type: results of uint8... kept in their type
  const inputs: Node[] = [];
  const defaults: Node[] = [];
  const readDefaults = new Map<string, string>();
  const scope: Scope = { values, intValues, elemTypes, params, graphInputs: inputs, defaults, readDefaults, opset, at };
  for (const t of g.initializer ?? []) {
    readInitializer(t, scope);
    inits.add(t.name!);
  }
  const recorded = recordedDefaults(model);
  // symbolic dims bound to the shapes given (the model specialised on them): Shape of them folds
  const dimSizes = boundDims(g, opts.shapes, inits);
  for (const vi of g.input ?? []) {
    const name = vi.name || fail('a graph input has no name');
    if (inits.has(name)) {
      const stored = intValues.get(name);
      if (stored) {
        // an integer default is a constant at import (a shape, axes...): a value bound for it replaces it,
        // else the input is listed, so that a value fed for it imports the model again bound to it
        const given = opts.bind?.get(name) ?? opts.intInputs?.get(name);
        if (given) intValues.set(name, boundInts(name, given, vi.type?.tensorType?.shape));
        else defaults.push(constDefault(name, vi, stored.dims, 'i64', dimSizes, readDefaults, at));
        continue;
      }
      const p = values.get(name);
      const given = opts.bind?.get(name);
      if (p?.op === 'Const') {
        // a bool default (a mask, a condition) is a constant at import, as an integer one: bound, or listed
        const stored = p.shape as number[];
        if (given) values.set(name, atSource(at(`input '${shownName(name)}'`), () => B.mk('Const', [], { value: boundBools(name, given, stored), shape: stored, dtype: 'bool' })));
        else defaults.push(constDefault(name, vi, stored, 'bool', dimSizes, readDefaults, at));
        continue;
      }
      if (p && given) {
        // a default bound to the value fed for it (the model specialised on it): a constant, no parameter
        if (!sameDims(given.dims, p.shape)) fail(`input '${name}': the value bound has dims [${given.dims.join(', ')}], the initializer [${p.shape.join(', ')}]`);
        values.set(name, atSource(at(`input '${shownName(name)}'`), () => B.constant(Float32Array.from(given.values), [...given.dims])));
        params.splice(params.indexOf(p), 1);
      } else if (p) defaults.push(p);
      continue;
    }
    const tt = vi.type?.tensorType ?? fail(`input '${name}' is not a tensor`);
    const isInt = isIntegerType(tt.elemType);
    const bound = opts.bind?.get(name) ?? opts.intInputs?.get(name);
    if (bound && isInt) {
      intValues.set(name, boundInts(name, bound, tt.shape));
      continue;
    }
    // float64 inputs are computed in float32 (export/import-f64.ts)
    const dtype = tt.elemType === DataType.FLOAT || tt.elemType === DataType.DOUBLE ? 'f32' : tt.elemType === DataType.BOOL ? 'bool' : isInt ? 'i64' : fail(`input '${name}': element type ${onnxTypeName(tt.elemType)} is not supported (float32, float64, bool, int64, int32, uint8, int8, uint16, int16, uint32, uint64)`);
    const given = opts.bind?.get(name);
    if (given) {
      // a float or bool input bound to its value: a constant (the model specialised on it)
      const count = given.dims.reduce((p, d) => p * d, 1);
      if (count !== given.values.length) fail(`input '${name}': the value bound holds ${given.values.length} numbers for dims [${given.dims.join(', ')}]`);
      const declared = declaredSizes(tt.shape) ?? [];
      if (tt.shape && !sameDims(given.dims, declared)) fail(`input '${name}': the value bound has dims [${given.dims.join(', ')}], the input's are [${declared.map((d) => d ?? '?').join(', ')}]`);
      values.set(name, atSource(at(`input '${shownName(name)}'`), () => B.mk('Const', [], { value: Float32Array.from(given.values), shape: [...given.dims], dtype })));
      continue;
    }
    if (!tt.shape?.dim) fail(`input '${name}' has no shape`);
    const shape = declaredDims(name, tt.shape!, dimSizes);
    const recordedValue = recorded.get(name);
    if (recordedValue && dtype === 'f32' && isStatic(shape) && (shape as number[]).reduce((p, d) => p * d, 1) === recordedValue.length) {
      // an input whose default graphc recorded (a training step's learning rate): a parameter, fed or not
      const p = B.mk('Param', [], { name, shape: shape as number[], init: Float32Array.from(recordedValue) }, at(`input '${shownName(name)}'`));
      params.push(p);
      defaults.push(p);
      values.set(name, p);
      continue;
    }
    const n = B.mk('Input', [], { name, shape: shape as number[], dtype }, at(`input '${shownName(name)}'`));
    inputs.push(n);
    values.set(name, n);
  }

  const order = importNodes(g.node ?? [], scope);
  const outputs = (g.output ?? []).map((o) => ({ name: o.name || fail('a graph output has no name'), node: values.get(o.name ?? '') ?? intOutput(intValues.get(o.name ?? ''), o.name ?? '') }));
  if (outputs.length === 0) fail('the graph has no outputs');
  const tensors = new Map<string, { shape: readonly Dim[]; dtype: DType }>([...intValues].map(([k, v]) => [k, { shape: v.dims, dtype: 'i64' as DType }]));
  for (const [k, v] of values) tensors.set(k, { shape: v.shape, dtype: v.dtype });
  const float64 = float64Model(g, order, values);
  const notes = float64.any ? [FLOAT64_NOTE] : [];
  return { name: g.name || 'onnx', description: model.docString ?? '', opset, graph: new Graph(outputs, g.name || 'onnx'), inputs, params, defaults, tensors, readDefaults, float64, notes };
}

/** The model with what imports it again for other shapes, where `options` specialised it on shapes. */
export function withSource(m: ImportedModel, bytes: Uint8Array | ArrayBuffer, options: ImportOptions): ImportedModel {
  return options.shapes?.size ? { ...m, specializedFrom: { bytes: modelBytes(bytes), options } } : m;
}

/**
 * The model's bytes as given from JavaScript: a Uint8Array (Node's Buffer is one), another view of
 * memory, or the ArrayBuffer `fetch(...).arrayBuffer()` gives (onnxruntime takes it too); anything else is
 * a TypeError naming it, not a "truncated or corrupted" protobuf.
 */
export function modelBytes(bytes: unknown, fn = 'importOnnx'): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  if (ArrayBuffer.isView(bytes)) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  const got = typeof bytes === 'string' ? `'${bytes.length > 60 ? bytes.slice(0, 60) + '…' : bytes}' (read the file first)` : bytes === null || typeof bytes !== 'object' ? String(bytes) : `an object (${bytes.constructor?.name ?? 'no prototype'})`;
  throw new TypeError(`${fn}: bytes must be the model's bytes (a Uint8Array or an ArrayBuffer), got ${got}`);
}

export function decodeModel(given: Uint8Array | ArrayBuffer): ModelProto {
  const bytes = modelBytes(given);
  if (bytes.length === 0) fail('empty file, not an ONNX model');
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (e) {
    return fail(`not an ONNX model: the protobuf is truncated or corrupted (${(e as Error).message})`);
  }
}
