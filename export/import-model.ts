/**
 * What an ONNX import hands back (ImportedModel) and what it is asked (ImportOptions), and the file's
 * decoding: the importer itself is import.ts.
 */
import type { Graph } from '../compiler/ir/graph.ts';
import type { Node, DType } from '../compiler/ir/node.ts';
import type { Dim } from '../compiler/ir/shape.ts';
import { onnx, type ModelProto } from './proto.ts';
import { fail } from './import-tensor.ts';
import type { Float64Model } from './import-f64.ts';

export interface ImportedModel {
  readonly name: string;
  readonly description: string;
  readonly opset: number;
  /** Outputs under their ONNX names. */
  readonly graph: Graph;
  readonly inputs: readonly Node[];
  readonly params: readonly Node[];
  /**
   * The parameters that are graph inputs too (an initializer of a graph input is that input's default, in
   * ONNX's semantics), or inputs whose default graphc's metadata records: a value fed under the name
   * replaces the default. An integer one (a constant at import, listed in `readDefaults`) is an `Input`
   * node the graph does not read: it names the input for those who feed it.
   */
  readonly defaults: readonly Node[];
  /** The type and shape of every tensor the file names (integer tensors folded at import: int64). */
  readonly tensors: ReadonlyMap<string, { readonly shape: readonly Dim[]; readonly dtype: DType }>;
  /**
   * Graph inputs with a default (an initializer) whose value the import read as a shape or a mode
   * (OneHot's depth...), each with the node that read it: a value fed for one specialises the model
   * (OnnxSession), which the default's import does not.
   */
  readonly readDefaults: ReadonlyMap<string, string>;
  /** The graph inputs and outputs declared float64, and the float64 tensors computed (in float32: export/import-f64.ts). */
  readonly float64: Float64Model;
  /** What the import says once about how the model is computed (a float64 model: in float32), one line each. */
  readonly notes: readonly string[];
  /**
   * Where the import was specialised on shapes (`ImportOptions.shapes`): the file and the options, to
   * import it again for other shapes (training on batches of several shapes, export/trainable.ts).
   */
  readonly specializedFrom?: { readonly bytes: Uint8Array; readonly options: ImportOptions };
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

export interface ImportOptions {
  /**
   * Values for integer graph inputs (shapes, axes): graphc computes in float32, so an int64 input is
   * bound to constant values at import (the model is specialized to them).
   */
  readonly intInputs?: ReadonlyMap<string, number[] | { values: number[]; dims: number[] }>;
  /**
   * Values for graph inputs of any type that decide a shape or a mode (Range's operands, OneHot's depth,
   * an int64 shape or axes, Dropout's ratio and training_mode): each such input is bound to its value, a constant, and the model
   * is specialised to it (a model that needs one and lacks it throws `OnnxSpecializeError` naming it).
   */
  readonly bind?: ReadonlyMap<string, { values: readonly number[]; dims: readonly number[] }>;
  /**
   * Shapes for graph inputs with symbolic dims whose sizes decide a shape at import (a Reshape's target
   * computed from Shape or Size of a dynamic batch, an LSTM over a dynamic sequence): each input's symbolic dims,
   * in every input carrying them, are bound to the sizes given, so Shape and Size fold to constants and the
   * model is specialised to those shapes (a model that needs one and lacks it throws `OnnxSpecializeError`
   * naming it in `shapes`). The inputs are still fed, with exactly these shapes.
   */
  readonly shapes?: ReadonlyMap<string, readonly number[]>;
  /**
   * The file's name as positions show it (default `model.onnx`): each imported node's source position is
   * this file and the ONNX node it comes from (`model.onnx node 3 'conv1'`), in errors, `graphc inspect`
   * and an export's `doc_string`s.
   */
  readonly file?: string;
}
