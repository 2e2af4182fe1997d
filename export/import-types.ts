/**
 * What an ONNX import hands back (`ImportedModel`) and what it is asked (`ImportOptions`), as types alone:
 * they name no part of the ONNX codec, so the package's entry and a model's type check, which name them,
 * read no protobuf declarations (the importer is import.ts, the file's decoding import-model.ts).
 */
import type { Graph } from '../compiler/ir/graph.ts';
import type { Node, DType } from '../compiler/ir/node.ts';
import type { Dim } from '../compiler/ir/shape.ts';

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

/** The graph inputs and outputs a model declares float64, and whether it has float64 tensors at all. */
export interface Float64Use {
  readonly inputs: ReadonlySet<string>;
  readonly outputs: ReadonlySet<string>;
  /** Any float64 tensor: an input, output, initializer, value_info, a Constant's value or a Cast to DOUBLE. */
  readonly any: boolean;
}

/** A model's float64 use, with every tensor its nodes compute in float64 (by name, the node computing it). */
export interface Float64Model extends Float64Use {
  readonly computed: ReadonlyMap<string, Node>;
}
