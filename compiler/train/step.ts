/**
 * The training step as one static graph: forward, gradients (symbolic, from autodiff) and the optimizer
 * update. Its inputs are the model's inputs and parameters, and the optimizer's leaves (its learning rate
 * `optimizer.lr`, and state); its outputs are the loss and each parameter's and state's next value
 * (`next:<name>`), which the runtime writes back. Metrics (accuracy) are a separate graph,
 * `metricsGraph`, run only when they are logged.
 */
import { Graph, type GraphOutput } from '../ir/graph.ts';
import { optimizerUpdates, type OptimizerConfig } from './optimizers.ts';
import { grad } from '../autodiff/grad.ts';
import type { BuiltModel } from '../dsl/model.ts';

export type { OptimizerConfig } from './optimizers.ts';

export const nextName = (param: string): string => `next:${param}`;

export function trainStepGraph(m: BuiltModel, opt: OptimizerConfig): Graph {
  const loss = m.forward.output('loss');
  const params = m.forward.params;
  const grads = grad(loss, params);
  const outputs: GraphOutput[] = [{ name: 'loss', node: loss }];
  for (const u of optimizerUpdates(params, grads, opt, loss.src)) outputs.push({ name: nextName(String(u.leaf.attrs.name)), node: u.next });
  return new Graph(outputs, `${m.name}.train`);
}

/** The model's metrics (accuracy), or null when it has none. */
export function metricsGraph(m: BuiltModel): Graph | null {
  return m.forward.has('accuracy') ? new Graph([{ name: 'accuracy', node: m.forward.output('accuracy') }], `${m.name}.metrics`) : null;
}

/** Inputs to predictions only: the graph that inference and ONNX export use. */
export function inferenceGraph(m: BuiltModel): Graph {
  return new Graph([{ name: 'predict', node: m.forward.output('predict') }], `${m.name}.infer`);
}
