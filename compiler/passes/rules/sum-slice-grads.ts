/**
 * sum-slice-grads: the gradient of a tensor sliced many times (an unrolled RNN's input cut per step, a
 * tensor split into pieces) is, after autodiff, an Add-tree of SliceGrads, each a whole buffer of the
 * tensor's shape, zeros but for its slice: the tree's time and memory grow with (slices) × (the tensor's
 * size), an RNN's with its sequence length squared. Such a tree becomes one SliceGradSum
 * (compiler/ops/slice-grad-sum.ts), which puts each slice's gradient into its places in one buffer:
 *   Add(…Add(SliceGrad(g1, x), SliceGrad(g2, x))…, h)  ->  SliceGradSum(g1, g2, …, h, x)
 * The tree is the Adds of equal shapes (no broadcast) that only the next Add of the tree reads; its other
 * operands (h: any gradient of the tensor's shape) are terms taken whole. The terms keep the tree's order of
 * evaluation (a chain's, as autodiff makes it: the deeper sum first), so that where slices overlap the
 * sums are the same floats; elsewhere each element is one term's value or zero, as before (but for the
 * sign of a zero). It runs after cse, before group-elementwise would make the Adds fused loops.
 */
import { Node } from '../../ir/node.ts';
import { sameShape, shapeStr } from '../../ir/shape.ts';
import { consumers, rebuild } from '../rewrite.ts';
import type { Pass, Rewrite } from '../pass.ts';

/** An Add of two operands of its own shape: a sum of gradients, not a broadcast. */
const isSum = (n: Node) => n.op === 'Add' && n.dtype === 'f32' && n.inputs.every((x) => sameShape(x.shape, n.shape));

export const sumSliceGrads: Pass = {
  name: 'sum-slice-grads',
  description: "a sum of slices' gradients of one tensor is one scatter into one buffer",
  run(g) {
    const misses: Rewrite[] = [], rewrites: Rewrite[] = [];
    if (!g.nodes.some((n) => n.op === 'SliceGrad')) return { graph: g, rewrites, misses };
    const users = consumers(g), outputs = new Set(g.outputs.map((o) => o.node));
    /** An Add inside a tree: a sum that only one Add of equal shape reads. */
    const inner = (n: Node) => {
      const us = users.get(n) ?? [];
      return isSum(n) && !outputs.has(n) && us.length === 1 && isSum(us[0]);
    };
    /** A tree's terms in its order of evaluation (at each Add, the operand that is a sum first), and its inner Adds. */
    const terms = (n: Node, out: Node[] = [], adds: Node[] = []): { ts: Node[]; adds: Node[] } => {
      const [a, b] = n.inputs;
      for (const x of [...[a, b].filter(inner), ...[a, b].filter((y) => !inner(y))])
        if (inner(x)) adds.push(x), terms(x, out, adds);
        else out.push(x);
      return { ts: out, adds };
    };
    const trees = new Map<Node, Node[]>();
    const summed = new Set<Node>(), taken = new Set<Node>();
    for (const n of g.nodes) {
      if (!isSum(n) || inner(n)) continue;
      const { ts, adds } = terms(n);
      if (!ts.some((t) => t.op === 'SliceGrad')) continue;
      trees.set(n, ts);
      ts.forEach((t) => summed.add(t));
      adds.forEach((a) => taken.add(a));
      const k = ts.filter((t) => t.op === 'SliceGrad').length, whole = ts.length - k;
      rewrites.push({
        what: `${k} SliceGrad${k === 1 ? '' : 's'}${whole ? ` and ${whole} whole gradient${whole === 1 ? '' : 's'}` : ''} of ${shapeStr(n.shape)} summed by ${ts.length - 1} Add${ts.length === 2 ? '' : 's'} -> SliceGradSum`,
        src: n.src,
        why: `each slice's gradient put into one buffer: no zero-padded ${shapeStr(n.shape)} per slice and no Add of whole buffers`,
      });
    }
    for (const n of g.nodes) {
      if (n.op !== 'SliceGrad' || summed.has(n)) continue;
      const us = users.get(n) ?? [];
      const why = outputs.has(n) && us.length === 0 ? 'it is a graph output'
        : us.some((u) => u.op === 'Add' && !isSum(u)) ? `its Add broadcasts (${us.filter((u) => u.op === 'Add').map((u) => u.inputs.map((x) => shapeStr(x.shape)).join(' + ')).join('; ')})`
        : `nothing sums it with another gradient: it is read by ${us.map((u) => u.op).join(', ') || 'a graph output'}`;
      misses.push({ what: `SliceGrad ${shapeStr(n.inputs[0].shape)} of ${shapeStr(n.shape)} stays a zero-padded buffer: ${why}`, src: n.src });
    }
    if (trees.size === 0) return { graph: g, rewrites, misses };
    // bottom-up: a tree's root becomes the op over its terms' images; its inner Adds are no longer read
    const map = new Map<Node, Node>();
    const image = (n: Node) => map.get(n) ?? n;
    for (const n of g.nodes) {
      const ts = trees.get(n);
      if (ts) map.set(n, sliceGradSum(ts, image, n));
      else if (!taken.has(n)) {
        const r = rebuild(n, map);
        if (r !== n) map.set(n, r);
      }
    }
    return { graph: g.withOutputs(g.outputs.map((o) => ({ name: o.name, node: image(o.node) }))), rewrites, misses };
  },
};

/** SliceGradSum over the terms (their images), at the root's position: a SliceGrad's slice, any other term whole. */
function sliceGradSum(ts: readonly Node[], image: (n: Node) => Node, root: Node): Node {
  const like = ts.find((t) => t.op === 'SliceGrad')!.inputs[1], r = root.shape.length;
  const begin: number[] = [], step: number[] = [];
  for (const t of ts) {
    begin.push(...(t.op === 'SliceGrad' ? (t.attrs.begin as number[]) : Array<number>(r).fill(0)));
    step.push(...(t.op === 'SliceGrad' ? (t.attrs.step as number[]) : Array<number>(r).fill(1)));
  }
  return Node.mk('SliceGradSum', [...ts.map((t) => image(t.op === 'SliceGrad' ? t.inputs[0] : t)), image(like)], { begin, step }, root.src);
}
