/**
 * An op computed by one kernel but defined by an expression of other ops (its expansion, built over the
 * op's own inputs): its gradient is the expansion's, by reverse accumulation over the expansion's nodes
 * (each by its own op's rule), and its ONNX mapping writes the expansion's ops. So such an op
 * differentiates again and exports like the ops it stands for. The walks stop at the op's inputs.
 */
import type { Node } from '../ir/node.ts';
import * as B from '../ir/build.ts';
import { getOp, type OnnxEmit } from './op.ts';

/** The expansion's nodes between `inputs` (excluded) and `out`, inputs before their readers. */
function between(out: Node, inputs: readonly Node[]): Node[] {
  const stop = new Set(inputs), seen = new Set<Node>(), order: Node[] = [];
  const visit = (n: Node): void => {
    if (stop.has(n) || seen.has(n)) return;
    seen.add(n);
    for (const i of n.inputs) visit(i);
    order.push(n);
  };
  visit(out);
  return order;
}

/** The gradient for each of `inputs` (null where none flows) of the expansion `out`, given g. */
export function expansionGrad(out: Node, inputs: readonly Node[], g: Node): (Node | null)[] {
  const order = between(out, inputs);
  const acc = new Map<Node, Node>([[out, g]]);
  for (let k = order.length - 1; k >= 0; k--) {
    const n = order[k], gn = acc.get(n);
    if (!gn || n.inputs.length === 0) continue;
    const gs = getOp(n.op).grad!(n, gn);
    n.inputs.forEach((inp, i) => {
      const gi = gs[i];
      if (!gi) return;
      const prev = acc.get(inp);
      acc.set(inp, prev ? B.add(prev, gi) : gi);
    });
  }
  return inputs.map((x) => acc.get(x) ?? null);
}

/** Emits the expansion `out` over `inputs` (whose ONNX names are `names`); the name of its output. */
export function expansionOnnx(e: OnnxEmit, out: Node, inputs: readonly Node[], names: readonly string[]): string {
  const name = new Map<Node, string>(inputs.map((x, k) => [x, names[k]]));
  for (const n of between(out, inputs))
    name.set(n, n.op === 'Const' ? e.constF32(n.attrs.value as Float32Array, n.shape as number[]) : getOp(n.op).onnx!(e, n, n.inputs.map((i) => name.get(i)!)));
  return name.get(out)!;
}
