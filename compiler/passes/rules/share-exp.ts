/**
 * share-exp: a train step with the fused BCE loss computes e^(−|z|) of the logits twice, once in the loss
 * (log1p(e^(−|z|))) and once in its gradient (sigmoid(z), from BCEWithLogits's rule). Where a graph has
 * both BCEWithLogits(z, y) and Sigmoid(z) of the same z, e = Exp(Neg(Abs(z))) is computed once and both
 * read it:
 *   BCEWithLogits(z, y) -> BCEWithLogitsExp(z, y, e)      Sigmoid(z) -> SigmoidExp(z, e)
 * (ops/bce-logits.ts: the same functions given that e). It runs after autodiff and before
 * group-elementwise, which makes e one loop and takes SigmoidExp into the gradient's chain.
 */
import type { Node } from '../../ir/node.ts';
import * as B from '../../ir/build.ts';
import { atSource } from '../../ir/source.ts';
import { mapNodes } from '../rewrite.ts';
import type { Pass, Rewrite } from '../pass.ts';

export const shareExp: Pass = {
  name: 'share-exp',
  description: 'the BCE loss and the sigmoid of its gradient share one exp(-|z|)',
  run(g) {
    const sigmoids = new Map<Node, Node>();
    for (const n of g.nodes) if (n.op === 'Sigmoid') sigmoids.set(n.inputs[0], n);
    const shared = new Set<Node>();
    const misses: Rewrite[] = [];
    for (const n of g.nodes) {
      if (n.op !== 'BCEWithLogits') continue;
      if (sigmoids.has(n.inputs[0])) shared.add(n.inputs[0]);
      else misses.push({ what: 'BCEWithLogits: no Sigmoid of the same logits in this graph (nothing to share)', src: n.src });
    }
    if (shared.size === 0) return { graph: g, rewrites: [], misses };
    const rewrites: Rewrite[] = [];
    const e = new Map<Node, Node>(); // by the original z
    const graph = mapNodes(g, (n, orig) => {
      const z = orig.inputs[0];
      if (!shared.has(z) || (orig.op !== 'BCEWithLogits' && orig.op !== 'Sigmoid')) return undefined;
      const zr = n.inputs[0];
      if (!e.has(z)) e.set(z, atSource(orig.src, () => B.exp(B.neg(B.abs(zr)))));
      if (orig.op === 'Sigmoid') return B.mk('SigmoidExp', [zr, e.get(z)!], {}, orig.src);
      rewrites.push({ what: 'BCEWithLogits(z, y) and Sigmoid(z) -> one e = exp(-|z|), BCEWithLogitsExp(z, y, e), SigmoidExp(z, e)', src: orig.src });
      return B.mk('BCEWithLogitsExp', [zr, n.inputs[1], e.get(z)!], {}, orig.src);
    });
    return { graph, rewrites, misses };
  },
};
