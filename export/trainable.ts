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
 * in its initializers (`trainedFile`, export/model.ts): graphc's graph holds one batch size, the file any.
 *
 * This file does not load the ONNX codec (the package's entry exports `attachLoss`, and a program that
 * only trains starts without the codec): a specialised model comes from the importer, which hands this
 * file its `importOnnx` when it loads (`useImporter`), for the imports again.
 */
import { Graph } from '../compiler/ir/graph.ts';
import * as B from '../compiler/ir/build.ts';
import { inLeafScope } from '../compiler/ir/node.ts';
import type { BuiltModel, Specialized } from '../compiler/dsl/model.ts';
import type { ImportedModel, ImportOptions } from './import-model.ts';
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

type Importer = (bytes: Uint8Array, options: ImportOptions) => ImportedModel;
let importer: Importer | undefined;

/** Called by export/import.ts as it loads: the import that a specialised model's `on` runs again. */
export function useImporter(f: Importer): void {
  importer = f;
}

/** What a specialised model was imported from and its loss: for the model at any batch and its trained file (export/model.ts). */
export interface SpecializedSource {
  readonly from: NonNullable<ImportedModel['specializedFrom']>;
  readonly loss: LossKind;
}

/** What each specialised model was imported from and its loss (by its `Specialized`, which compiling keeps). */
const sources = new WeakMap<Specialized, SpecializedSource>();

/** What `attachLoss` made a specialised model from; undefined for one it did not make. */
export function specializedSource(s: Specialized): SpecializedSource | undefined {
  return sources.get(s);
}

function specializedOn(m: ImportedModel, loss: LossKind): Specialized {
  const from = m.specializedFrom!;
  const input = String(m.inputs[0].attrs.name);
  // (a model specialised on shapes comes from importOnnx, which has handed over its import by then)
  const again = importer;
  if (!again) throw new OnnxImportError('attachLoss: a model specialised on shapes must come from importOnnx()');
  const s: Specialized = {
    input,
    shape: m.inputs[0].shape as number[],
    on: (shape) => attachLoss(again(from.bytes, { ...from.options, shapes: new Map([[input, [...shape]]]) }), loss),
  };
  sources.set(s, { from, loss });
  return s;
}
