/**
 * The training step as one static graph: forward, gradients (symbolic, from autodiff) and the optimizer
 * update. Its inputs are the model's inputs and parameters, and the optimizer's leaves (its learning rate
 * `optimizer.lr`, and its state); its outputs are the loss and each parameter's and state's next value
 * (`next:<name>`), which the runtime writes back. Batch normalization's running statistics are model
 * state of the same kind: the step outputs their next values (PyTorch's momentum update), and the
 * optimizer never sees them. Metrics (accuracy) are a separate graph, `metricsGraph`, run only when they
 * are logged; it and the inference graph are in evaluation mode (`inferenceMode`).
 */
import { Graph, type GraphOutput } from '../ir/graph.ts';
import { Node } from '../ir/node.ts';
import { GraphError } from '../ir/errors.ts';
import { atSource } from '../ir/source.ts';
import { optimizerUpdates, type OptimizerConfig, type Update } from './optimizers.ts';
import { grad } from '../autodiff/grad.ts';
import { runningUpdates } from '../ops/norm.ts';
import type { BuiltModel } from '../dsl/model.ts';

export type { OptimizerConfig } from './optimizers.ts';

export const nextName = (param: string): string => `next:${param}`;

export function trainStepGraph(m: BuiltModel, opt: OptimizerConfig): Graph {
  const loss = m.forward.output('loss');
  // (the loss's nodes are the forward graph's: without a BatchNormTrain there, there are no statistics)
  const stats = m.forward.nodes.some((n) => n.op === 'BatchNormTrain') ? runningStatUpdates(new Graph([{ name: 'loss', node: loss }])) : [];
  const held = new Set(stats.map((u) => u.leaf));
  const params = m.forward.params.filter((p) => !held.has(p));
  const grads = grad(loss, params);
  const outputs: GraphOutput[] = [{ name: 'loss', node: loss }];
  for (const u of [...optimizerUpdates(params, grads, opt, loss.src), ...stats]) outputs.push({ name: nextName(String(u.leaf.attrs.name)), node: u.next });
  return new Graph(outputs, `${m.name}.train`);
}

/**
 * The running mean and variance of each BatchNormTrain that the loss reaches, where they are parameters
 * (`BatchNorm1d`/`BatchNorm2d`'s `running_mean`, `running_var`), with their values after the step.
 */
function runningStatUpdates(g: Graph): Update[] {
  const updates: Update[] = [];
  const owner = new Map<Node, Node>();
  for (const n of g.nodes) {
    if (n.op !== 'BatchNormTrain') continue;
    const next = atSource(n.src, () => runningUpdates(n));
    for (const [leaf, value] of [[n.inputs[3], next.mean], [n.inputs[4], next.var]] as const) {
      if (leaf.op !== 'Param') continue;
      const first = owner.get(leaf);
      if (first) throw new GraphError(`batch normalization: running statistic '${String(leaf.attrs.name)}' is moved by two BatchNorm layers; each needs its own`, n.src);
      owner.set(leaf, n);
      updates.push({ leaf, next: value });
    }
  }
  return updates;
}

/**
 * The evaluation form of a graph (PyTorch's `model.eval()`): BatchNormTrain becomes BatchNorm over the
 * running statistics, and dropout the identity (its mask is then unreachable, so it leaves the graph).
 */
export function inferenceMode(g: Graph): Graph {
  if (!g.nodes.some((n) => n.op === 'BatchNormTrain' || n.op === 'Dropout')) return g;
  const map = new Map<Node, Node>();
  for (const n of g.nodes) {
    const ins = n.inputs.map((i) => map.get(i)!);
    if (n.op === 'Dropout') map.set(n, ins[0]);
    else if (n.op === 'BatchNormTrain') map.set(n, Node.mk('BatchNorm', ins, { eps: n.attrs.eps }, n.src));
    else map.set(n, ins.every((x, i) => x === n.inputs[i]) ? n : Node.mk(n.op, ins, n.attrs, n.src));
  }
  return g.withOutputs(g.outputs.map((o) => ({ name: o.name, node: map.get(o.node)! })));
}

/** The model's metrics (accuracy), or null when it has none. */
export function metricsGraph(m: BuiltModel): Graph | null {
  return m.forward.has('accuracy') ? inferenceMode(new Graph([{ name: 'accuracy', node: m.forward.output('accuracy') }], `${m.name}.metrics`)) : null;
}

/** Inputs to predictions only, in evaluation mode: the graph that inference and ONNX export use. */
export function inferenceGraph(m: BuiltModel): Graph {
  return inferenceMode(new Graph([{ name: 'predict', node: m.forward.output('predict') }], `${m.name}.infer`));
}
