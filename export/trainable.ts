/**
 * Training an imported model: its initializers are already parameters; a loss on its (single) output
 * against a new input `y` makes it a model graphc trains like any other. `bce` and `mse` take a `y` of the
 * output's shape (BCE of a sigmoid output is fused to the stable loss on logits by the usual pipeline);
 * `ce`, cross-entropy over classes as torch.nn.CrossEntropyLoss computes it, takes an output of scores
 * [N, C] (logits, as a classifier exported from PyTorch ends) and `y` [N] of class indices.
 *
 * A model imported specialised on its input's shape (`ImportOptions.shapes`: its shapes are computed from
 * its dynamic batch's size) is `Specialized`: it is imported again for each other shape it is fed (the
 * last, shorter minibatch, the held-out rows, a prediction), with the same initializers, so training runs
 * every batch on one set of parameters. Its trained model is the file it came from with the trained values
 * in its initializers (`trainedFile`): graphc's graph holds one batch size, the file any.
 */
import { Graph } from '../compiler/ir/graph.ts';
import * as B from '../compiler/ir/build.ts';
import { inLeafScope } from '../compiler/ir/node.ts';
import type { BuiltModel, Specialized } from '../compiler/dsl/model.ts';
import { importOnnx, decodeModel, type ImportedModel } from './import.ts';
import { DataType, onnx } from './proto.ts';
import { floatTensor } from './emit.ts';
import { OnnxImportError } from './import-error.ts';
import { ownSources } from '../compiler/ir/source.ts';

// nodes built here are built for the caller: their position is the caller's
ownSources(import.meta.url);

export type LossKind = 'bce' | 'mse' | 'ce';

/** The loss kinds `attachLoss` takes. */
export const LOSS_KINDS: readonly LossKind[] = ['bce', 'mse', 'ce'];

export function attachLoss(m: ImportedModel, loss: LossKind): BuiltModel {
  // (from JavaScript, where the types do not stop a wrong argument: refused by name, not read past)
  const given: unknown = m;
  if (typeof given !== 'object' || given === null || !((given as ImportedModel).graph instanceof Graph)) throw new TypeError(`attachLoss: expected a model from importOnnx(), got ${given === null ? 'null' : typeof given}`);
  if (!LOSS_KINDS.includes(loss)) throw new TypeError(`attachLoss: loss must be 'bce', 'mse' or 'ce', got ${typeof loss === 'string' ? `'${loss}'` : String(loss)}`);
  if (m.graph.outputs.length !== 1) throw new OnnxImportError(`training needs a model with one output, this one has ${m.graph.outputs.length}`);
  if (m.inputs.length !== 1) throw new OnnxImportError(`training needs a model with one input, this one has ${m.inputs.length}`);
  const { name, node: predict } = m.graph.outputs[0];
  if (loss === 'ce' && predict.shape.length !== 2) throw new OnnxImportError(`the ce loss needs an output of class scores [N, C]; output '${name}' is [${predict.shape.join(', ')}]`);
  const yShape = loss === 'ce' ? [predict.shape[0]] : [...predict.shape];
  const y = inLeafScope(() => B.mk('Input', [], { name: 'y', shape: yShape as number[], dtype: 'f32' }));
  const lossNode = loss === 'bce' ? B.mk('BCE', [predict, y]) : loss === 'ce' ? B.mk('CrossEntropy', [predict, y]) : B.mean(B.mul(B.sub(predict, y), B.sub(predict, y)));
  const outputs = [
    { name: 'loss', node: lossNode },
    { name: 'predict', node: predict },
  ];
  if (loss === 'bce') outputs.push({ name: 'accuracy', node: B.mean(B.cast(B.mk('Equal', [B.cast(B.mk('GreaterEqual', [predict, B.scalar(0.5)]), 'f32'), y]), 'f32')) });
  // the fraction of rows whose largest score is at the class given
  if (loss === 'ce') outputs.push({ name: 'accuracy', node: B.mean(B.cast(B.mk('Equal', [B.cast(B.mk('ArgMax', [predict], { axis: 1 }), 'f32'), y]), 'f32')) });
  const built: BuiltModel = { name: m.name, description: m.description, forward: new Graph(outputs, m.name), options: {} };
  return m.specializedFrom ? { ...built, specialized: specializedOn(m, loss) } : built;
}

/** What each specialised model was imported from and its loss (by its `Specialized`, which compiling keeps). */
const sources = new WeakMap<Specialized, { readonly from: NonNullable<ImportedModel['specializedFrom']>; readonly loss: LossKind }>();

function specializedOn(m: ImportedModel, loss: LossKind): Specialized {
  const from = m.specializedFrom!;
  const input = String(m.inputs[0].attrs.name);
  const s: Specialized = {
    input,
    shape: m.inputs[0].shape as number[],
    on: (shape) => attachLoss(importOnnx(from.bytes, { ...from.options, shapes: new Map([[input, [...shape]]]) }), loss),
  };
  sources.set(s, { from, loss });
  return s;
}

/**
 * The specialised model imported with its input's dims symbolic, as the file declares them (its other
 * options as they were), with the same loss: the model for any batch. Throws `OnnxSpecializeError` where
 * the file needs the input's shape at import (a Reshape to a size computed from Shape(x)...).
 */
export function unspecialized(s: Specialized): BuiltModel {
  const src = sources.get(s);
  if (!src) throw new OnnxImportError(`the model specialised on input '${s.input}' was not made by attachLoss`);
  const shapes = new Map([...(src.from.options.shapes ?? [])].filter(([name]) => name !== s.input));
  return attachLoss(importOnnx(src.from.bytes, { ...src.from.options, shapes }), src.loss);
}

/**
 * The ONNX file a specialised model was imported from, with `params`' values in its initializers of the
 * same names (float and double; the others, and initializers no parameter names, as they were); undefined
 * for a model that is not an import specialised on shapes.
 */
export function trainedFile(s: Specialized | undefined, params?: ReadonlyMap<string, Float32Array>): Uint8Array | undefined {
  const bytes = s && sources.get(s)?.from.bytes;
  if (!bytes || !params) return bytes;
  const model = decodeModel(bytes);
  for (const t of model.graph?.initializer ?? []) {
    const v = params.get(t.name ?? '');
    if (!v || (t.dataType !== DataType.FLOAT && t.dataType !== DataType.DOUBLE)) continue;
    const count = (t.dims ?? []).reduce((a: number, d) => a * Number(d), 1);
    if (count !== v.length) throw new OnnxImportError(`initializer '${t.name}' holds ${count} values, the trained parameter ${v.length}`);
    if (t.dataType === DataType.DOUBLE) [t.doubleData, t.rawData] = [Array.from(v), new Uint8Array(0)];
    else [t.floatData, t.rawData] = [[], floatTensor('', v, []).rawData];
  }
  return onnx.ModelProto.encode(model).finish();
}
