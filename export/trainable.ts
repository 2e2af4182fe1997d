/**
 * Training an imported model: its initializers are already parameters; a loss on its (single) output
 * against a new input `y` of the output's shape makes it a model graphc trains like any other.
 * BCE of a sigmoid output is fused to the stable loss on logits by the usual pipeline.
 */
import { Graph } from '../compiler/ir/graph.ts';
import * as B from '../compiler/ir/build.ts';
import { inLeafScope } from '../compiler/ir/node.ts';
import type { BuiltModel } from '../compiler/dsl/model.ts';
import type { ImportedModel } from './import.ts';
import { OnnxImportError } from './import-error.ts';
import { ownSources } from '../compiler/ir/source.ts';

// nodes built here are built for the caller: their position is the caller's
ownSources(import.meta.url);

export type LossKind = 'bce' | 'mse';

export function attachLoss(m: ImportedModel, loss: LossKind): BuiltModel {
  // (from JavaScript, where the types do not stop a wrong argument: refused by name, not read past)
  const given: unknown = m;
  if (typeof given !== 'object' || given === null || !((given as ImportedModel).graph instanceof Graph)) throw new TypeError(`attachLoss: expected a model from importOnnx(), got ${given === null ? 'null' : typeof given}`);
  if (loss !== 'bce' && loss !== 'mse') throw new TypeError(`attachLoss: loss must be 'bce' or 'mse', got ${typeof loss === 'string' ? `'${loss}'` : String(loss)}`);
  if (m.graph.outputs.length !== 1) throw new OnnxImportError(`training needs a model with one output, this one has ${m.graph.outputs.length}`);
  if (m.inputs.length !== 1) throw new OnnxImportError(`training needs a model with one input, this one has ${m.inputs.length}`);
  const predict = m.graph.outputs[0].node;
  const y = inLeafScope(() => B.mk('Input', [], { name: 'y', shape: [...predict.shape] as number[], dtype: 'f32' }));
  const lossNode = loss === 'bce' ? B.mk('BCE', [predict, y]) : B.mean(B.mul(B.sub(predict, y), B.sub(predict, y)));
  const outputs = [
    { name: 'loss', node: lossNode },
    { name: 'predict', node: predict },
  ];
  if (loss === 'bce') outputs.push({ name: 'accuracy', node: B.mean(B.cast(B.mk('Equal', [B.cast(B.mk('GreaterEqual', [predict, B.scalar(0.5)]), 'f32'), y]), 'f32')) });
  return { name: m.name, description: m.description, forward: new Graph(outputs, m.name), options: {} };
}
