/**
 * graphc's public entry (`import { ... } from 'graphc'`): the typed DSL for writing models, and training,
 * inference and ONNX from code through the same pipeline and runtime as `graphc train`:
 *
 *     const trained = await train(model, { data: { x, y }, epochs: 100, lr: 0.5 });
 *     predict(trained, { x }); await exportOnnx(trained);
 *
 * Nothing here needs Node: it runs in a browser page as it does in Node. (`graphc/node` is Node's edge.)
 * The ONNX codec loads on the first exportOnnx/importOnnx, not with this entry: a model file that
 * imports its DSL from here starts without it.
 */
import './compiler/ops/index.ts';
import type { BuiltModel, Model } from './compiler/dsl/model.ts';
import type { TensorValue } from './runtime/plan.ts';
import { trainModel, predictWith, trainedModel, checkConverged, type Trained, type TrainOptions } from './runtime/train.ts';
import type { ImportedModel } from './export/import-model.ts';

export * from './compiler/index.ts';
export { compileModel } from './compiler/passes/compile.ts';
export type { CompiledModel, CompileOptions } from './compiler/passes/compile.ts';
export { parseCsv, DataError } from './runtime/data.ts';
export type { Dataset, ArrayData } from './runtime/data.ts';
export type { TensorValue } from './runtime/plan.ts';
export { trainedModel, useFileReader } from './runtime/train.ts';
export type { Trained, TrainOptions, TrainData, LogEntry, Divergence } from './runtime/train.ts';
export { attachLoss } from './export/trainable.ts';
export { OnnxImportError, OnnxSpecializeError } from './export/import-error.ts';
export type { ImportedModel } from './export/import-model.ts';
export type { LossKind } from './export/trainable.ts';

/**
 * Trains a model (a `defineModel` module's default export, or a built one such as `attachLoss(await importOnnx(bytes), 'bce')`)
 * and returns what `graphc train --json` prints: `{ model, options, data, config, log, params, accuracy?, seconds }`.
 * A cost that is not finite stops training; the result then says where, as `diverged` (`{ epoch, cost, ... }`).
 */
export function train(model: Model | BuiltModel, options: TrainOptions = {}): Promise<Trained> {
  return trainModel(model, options);
}

/** The model's `predict` output for `x` (rows, or flat with the model's row size or `shape`), with the trained parameters: `{ data: Float32Array, shape }`. */
export function predict(trained: Trained, input: { readonly x: readonly (readonly number[])[] | Float32Array | readonly number[]; readonly shape?: readonly number[] }): TensorValue {
  return predictWith(trained, input);
}

/**
 * The trained model's inference graph with its trained parameters as ONNX bytes (what `graphc train --onnx` writes);
 * refused where training diverged (`trained.diverged`).
 */
export async function exportOnnx(trained: Trained): Promise<Uint8Array> {
  checkConverged(trained, 'exportOnnx');
  const t = trainedModel(trained);
  const { exportModel } = await import('./export/model.ts');
  return exportModel(t.compiled, 'inference', t.params.values);
}

/** What `importOnnx` is asked beyond the bytes. */
export interface ImportOnnxOptions {
  /**
   * Shapes for graph inputs with symbolic dims whose sizes decide a shape at import (a Reshape's target
   * computed from Shape of a dynamic batch, as PyTorch exports nn.TransformerEncoderLayer), by input name:
   * `{ x: [3, 7, 32] }`. The model is specialised to them (its inputs fed with exactly these shapes);
   * without them such a model throws `OnnxSpecializeError` naming the inputs (`shapes`).
   */
  readonly shapes?: Readonly<Record<string, readonly number[]>> | ReadonlyMap<string, readonly number[]>;
}

/** importOnnx's options, checked as they arrive from JavaScript: the shapes by name, or a TypeError. */
function importShapes(options: unknown): Map<string, number[]> | undefined {
  if (options === null || typeof options !== 'object') throw new TypeError(`importOnnx: options must be an object ({ shapes }), got ${options === null ? 'null' : typeof options}`);
  for (const k of Object.keys(options)) if (k !== 'shapes') throw new TypeError(`importOnnx: unknown option '${k}'; the options are shapes`);
  const given = (options as ImportOnnxOptions).shapes;
  if (given === undefined) return undefined;
  if (given === null || typeof given !== 'object') throw new TypeError(`importOnnx: options.shapes must be { inputName: [sizes] } or a Map, got ${given === null ? 'null' : typeof given}`);
  const entries = given instanceof Map ? [...given] : Object.entries(given);
  return new Map(entries.map(([name, dims]) => {
    if (!Array.isArray(dims) || !dims.every((d) => typeof d === 'number')) throw new TypeError(`importOnnx: options.shapes['${String(name)}'] must be an array of sizes (numbers)`);
    return [String(name), [...dims] as number[]];
  }));
}

/**
 * An ONNX model's bytes (a Uint8Array, or an ArrayBuffer as `fetch` gives) as a graphc model: run it, or
 * train it after `attachLoss` (throws `OnnxImportError`). `options.shapes` specialises a model whose
 * shapes depend on a dynamic batch's size (`ImportOnnxOptions`).
 */
export async function importOnnx(bytes: Uint8Array | ArrayBuffer, options: ImportOnnxOptions = {}): Promise<ImportedModel> {
  const shapes = importShapes(options);
  const { importOnnx } = await import('./export/import.ts');
  return importOnnx(bytes, shapes ? { shapes } : {});
}
