/** Ops that only move data: reshape, unsqueeze, and broadcasting one tensor to another's shape. */
import { defineOp, intConst, onnxOperand as need, onnxRule as rule, unread } from './op.ts';
import { intVector, raise } from './onnx-read.ts';
import { broadcastShapes, isStatic, normAxes, shapeStr, sizeOf, ShapeError, type Dim } from '../ir/shape.ts';
import { posStr } from '../ir/source.ts';
import { GraphError } from '../ir/errors.ts';
import * as B from '../ir/build.ts';
import { elementwiseKernel } from '../../runtime/kernels/elementwise.ts';

/** A copy of the same number of elements (reshapes and unsqueezes move no data). */
const copy = () => (ins: readonly Float32Array[], out: Float32Array) => out.set(ins[0]);

/** Resolves an ONNX Reshape target against the input's shape: 0 copies, -1 infers (symbolically where it can). */
function reshapeTarget(from: readonly Dim[], dims: readonly Dim[], allowzero: boolean): Dim[] {
  const out = dims.map((d, i) => (d === 0 && !allowzero ? from[i] : d));
  const k = out.indexOf(-1);
  if (k < 0) return out;
  const known = out.filter((_, i) => i !== k);
  const num = (s: readonly Dim[]) => s.reduce<number>((p, d) => (typeof d === 'number' ? p * d : p), 1);
  const syms = (s: readonly Dim[]) => s.filter((d): d is string => typeof d === 'string');
  const left = [...syms(from)];
  for (const s of syms(known)) {
    const at = left.indexOf(s);
    if (at < 0) raise(`Reshape of ${shapeStr(from)} to ${shapeStr(dims)}: -1 cannot be inferred`);
    left.splice(at, 1);
  }
  const q = num(from) / num(known);
  if (!Number.isInteger(q) || left.length > 1 || (left.length === 1 && q !== 1)) raise(`Reshape of ${shapeStr(from)} to ${shapeStr(dims)}: -1 cannot be inferred`);
  out[k] = left.length ? left[0] : q;
  return out;
}

/** ONNX's Reshape; of an int64 vector folded at import with symbolic entries, the vector reshaped, still folded. */
const reshapeImport = rule([5, 13, 14, 19, 21, 23, 24, 25], (c) => {
  const dims = intVector(c, 1)?.values ?? c.known(1, 'the shape decides what Reshape computes');
  const allowzero = c.opset >= 14 && c.attrInt('allowzero', 0) === 1;
  const ic = c.intConst(0);
  if (ic && !isStatic(ic.values)) return intConst(ic.values, reshapeTarget(ic.dims, dims, allowzero) as number[]);
  const x = need(c, 0);
  return B.reshape(x, reshapeTarget(x.shape, dims, allowzero));
});

/**
 * Reshape's element count is checked where it is known: at build when both shapes are static, else when
 * a plan binds the symbols (the kernel refuses to be prepared), so no value is ever cut or padded.
 */
defineOp({
  name: 'Reshape',
  dsl: { method: 'reshape' },
  arity: 1,
  infer([a], attrs, src) {
    const shape = attrs.shape as Dim[];
    const bad = shape.findIndex((d) => (typeof d === 'number' ? !Number.isSafeInteger(d) || d < -1 : typeof d !== 'string' || d === ''));
    if (bad >= 0) throw new GraphError(`Reshape: dimension ${shape[bad]} in ${shapeStr(shape)} (dims are -1 or non-negative integers)`, src);
    if (shape.filter((d) => d === -1).length > 1) throw new GraphError(`Reshape: ${shapeStr(shape)} holds more than one -1`, src);
    if (isStatic(a.shape) && isStatic(shape) && !shape.includes(-1) && sizeOf(a.shape) !== sizeOf(shape))
      throw new GraphError(`Reshape: cannot reshape ${shapeStr(a.shape)} (${sizeOf(a.shape)} elements) to ${shapeStr(shape)}`, src);
    if (shape.includes(-1)) {
      if (!isStatic(a.shape) || !isStatic(shape)) throw new GraphError(`Reshape: -1 needs static shapes, got ${shapeStr(a.shape)} to ${shapeStr(shape)}`, src);
      const known = sizeOf(shape.filter((d) => d !== -1) as number[]);
      const size = sizeOf(a.shape as number[]);
      if (known === 0 || size % known !== 0) throw new GraphError(`Reshape: cannot reshape ${shapeStr(a.shape)} (${size} elements) to ${shapeStr(shape)}`, src);
      return { shape: shape.map((d) => (d === -1 ? size / known : d)), dtype: a.dtype };
    }
    return { shape, dtype: a.dtype };
  },
  kernel: (ctx) => {
    const [from] = ctx.inShapes;
    if (sizeOf(from) !== sizeOf(ctx.outShape)) {
      const pos = posStr(ctx.node.src);
      const at = pos === '<unknown>' ? '' : `${pos}: `;
      throw new ShapeError(`${at}Reshape: cannot reshape ${shapeStr(from)} (${sizeOf(from)} elements) to ${shapeStr(ctx.outShape)}`);
    }
    return copy();
  },
  grad: (n, g) => [B.reshape(g, n.inputs[0].shape)],
  onnx: (e, n, ins) => {
    // Symbolic dims: 0 copies the input's dim at the same position; one other is -1 (inferred), and more
    // than one (which ONNX refuses) are read at run time from tensors carrying them, all but one refused
    const inShape = n.inputs[0].shape;
    const dims = n.shape.map((d, i) => (typeof d === 'number' ? d : inShape[i] === d ? 0 : -1));
    if (dims.filter((d) => d === -1).length <= 1) return e.op('Reshape', [ins[0], e.constI64(dims)]);
    const sizes = n.shape.map((d, i) => (dims[i] === -1 ? e.dimOf?.(d as string) : undefined));
    const unknown = n.shape.filter((_, i) => dims[i] === -1 && sizes[i] === undefined) as string[];
    if (unknown.length > 1) unread(n, unknown[1]);
    const parts = dims.map((d, i) => sizes[i] ?? e.constI64([d]));
    return e.op('Reshape', [ins[0], e.op('Concat', parts, { axis: 0 })]);
  },
  onnxImport: { Reshape: reshapeImport },
  showAttrs: (a) => shapeStr(a.shape as Dim[]),
});

defineOp({
  name: 'Unsqueeze',
  dsl: { internal: 'made by gradient rules (a reduction\'s gradient keeps its axes)' },
  arity: 1,
  infer([a], attrs) {
    const axes = normAxes(attrs.axes as number[], a.shape.length + (attrs.axes as number[]).length);
    const out: Dim[] = [];
    let j = 0;
    for (let i = 0; i < a.shape.length + axes.length; i++) out.push(axes.includes(i) ? 1 : a.shape[j++]);
    return { shape: out, dtype: a.dtype };
  },
  kernel: copy,
  grad: (n, g) => [B.sum(g, n.attrs.axes as number[], false)],
  onnx: (e, n, ins) => e.op('Unsqueeze', [ins[0], e.constI64(n.attrs.axes as number[])]),
  showAttrs: (a) => `axes=[${a.axes}]`,
});

defineOp({
  name: 'ExpandAs',
  dsl: { internal: 'made by gradient rules (the gradient of a reduction)' },
  arity: 2,
  infer([a, like], _attrs, src) {
    const s = broadcastShapes(a.shape, like.shape);
    if (!s || s.length !== like.shape.length || s.some((d, i) => d !== like.shape[i]))
      throw new GraphError(`ExpandAs: ${shapeStr(a.shape)} does not broadcast to ${shapeStr(like.shape)}`, src);
    return { shape: like.shape, dtype: a.dtype };
  },
  kernel: (ctx) => elementwiseKernel('x0', [ctx.inShapes[0]], ctx.outShape, (xs) => xs[0]),
  grad: (n, g) => [B.sumTo(g, n.inputs[0].shape), null],
  onnx: (e, _n, ins) => e.op('Expand', [ins[0], e.shapeOf(ins[1])]),
});
