/**
 * SliceGradSum(g1, …, gk, like): the sum of k slices' gradients of one tensor of like's shape, term i
 * being SliceGrad(gi, like) with the i-th begins and steps, in one kernel that puts each gi into its
 * places in one buffer (runtime/kernels/slice-grad-sum.ts). The `sum-slice-grads` pass makes it from an
 * Add-tree of SliceGrads (an unrolled RNN's steps, a tensor cut into pieces), where each SliceGrad is a
 * whole zero-padded buffer. A term taken whole (begins 0, steps 1, like's shape) is a gradient added as
 * it is. Attributes: begin and step, each k·rank numbers, term by term. The op's expansion (the SliceGrads
 * and their Adds, in the terms' order) gives its gradient and its ONNX export (expansion.ts): each term a
 * SliceGrad's Pad (and Gathers, for steps other than 1), summed by Add.
 */
import { defineOp } from './op.ts';
import type { Attrs, Node } from '../ir/node.ts';
import { sameShape, shapeStr } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import * as B from '../ir/build.ts';
import { expansionGrad, expansionOnnx } from './expansion.ts';
import { sliceGradSumKernel } from '../../runtime/kernels/slice-grad-sum.ts';

/** Term i's begins and steps (each of the tensor's rank). */
function termSlice(attrs: Attrs, i: number, rank: number): { begin: number[]; step: number[] } {
  const at = (v: Attrs[string]) => (v as number[]).slice(i * rank, (i + 1) * rank);
  return { begin: at(attrs.begin), step: at(attrs.step) };
}

/** Whether term i is its gradient taken whole: no slice at all. */
function isWhole(n: Node, i: number): boolean {
  const like = n.inputs[n.inputs.length - 1], { begin, step } = termSlice(n.attrs, i, like.shape.length);
  return sameShape(n.inputs[i].shape, like.shape) && begin.every((b) => b === 0) && step.every((s) => s === 1);
}

/** The sum as the ops it stands for: SliceGrads (a whole term as it is) added in the terms' order. */
function expand(n: Node): Node {
  const like = n.inputs[n.inputs.length - 1], r = like.shape.length;
  const terms = n.inputs.slice(0, -1).map((g, i) => (isWhole(n, i) ? g : B.mk('SliceGrad', [g, like], { ...termSlice(n.attrs, i, r), shape: [...g.shape] as number[] })));
  return terms.reduce((a, t) => B.add(a, t));
}

defineOp({
  name: 'SliceGradSum',
  dsl: { internal: 'made by the sum-slice-grads pass (an Add-tree of SliceGrads of one tensor)' },
  arity: 'variadic',
  infer(xs, a, src) {
    const like = xs[xs.length - 1], k = xs.length - 1, r = like.shape.length;
    const begin = a.begin as number[], step = a.step as number[];
    if (k < 1 || begin.length !== k * r || step.length !== k * r || xs.some((x) => x.shape.length !== r))
      throw new GraphError(`SliceGradSum: ${k} terms of shapes ${xs.slice(0, -1).map((x) => shapeStr(x.shape)).join(', ')} with ${begin.length} begins and ${step.length} steps do not fit ${shapeStr(like.shape)}`, src);
    return { shape: like.shape, dtype: 'f32' };
  },
  kernel(ctx) {
    const r = ctx.outShape.length;
    const terms = ctx.inShapes.slice(0, -1).map((shape, i) => ({ shape, ...termSlice(ctx.attrs, i, r) }));
    return sliceGradSumKernel(ctx.outShape, terms, ctx.precision);
  },
  grad: (n, g) => expansionGrad(expand(n), n.inputs, g),
  onnx: (e, n, ins) => expansionOnnx(e, expand(n), n.inputs, ins),
  showAttrs: (a) => `begin=[${a.begin}] step=[${a.step}]`,
});
