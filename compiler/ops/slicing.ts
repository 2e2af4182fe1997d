/**
 * Ops that select, join or pad data: Slice (static begins and steps per axis), Pad (constant, reflect,
 * edge), Concat, Gather (along an axis, any index shape) and Expand (numpy broadcast to a shape), with
 * their gradients: a slice's is its zero-padded scatter (SliceGrad), a gather's a scatter-add
 * (GatherGrad), a concat's the slices of its parts; SliceGrad exports as Pad and Gather. Their ONNX import
 * rules: slicing-onnx.ts.
 */
import { defineOp, unread, type OnnxEmit } from './op.ts';
import { concatImport, expandImport, gatherImport, padImport, sliceImport } from './slicing-onnx.ts';
import type { Attrs, Node } from '../ir/node.ts';
import { broadcastShapes, normAxes, shapeStr, ShapeError, type Dim } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import * as B from '../ir/build.ts';
import { elementwiseKernel } from '../../runtime/kernels/elementwise.ts';
import { rowMajorStrides } from '../../runtime/kernels/strides.ts';
import { sliceKernel } from '../../runtime/kernels/slice.ts';
import { sliceGradSumKernel } from '../../runtime/kernels/slice-grad-sum.ts';

const prod = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

/** Slice: attrs begin[r], step[r] (normalized, non-negative begins), shape (the output's). */
defineOp({
  name: 'Slice',
  dsl: { internal: 'read from ONNX files by the importer' },
  arity: 1,
  infer: ([x], a) => ({ shape: a.shape as Dim[], dtype: x.dtype }),
  kernel: (ctx) => sliceKernel(ctx.inShapes[0], ctx.outShape, ctx.attrs.begin as number[], ctx.attrs.step as number[], ctx.precision),
  grad: (n, g) => [B.mk('SliceGrad', [g, n.inputs[0]], n.attrs)],
  onnx: (e, n, ins) => {
    const begin = n.attrs.begin as number[], step = n.attrs.step as number[];
    const shape = n.shape.map((d, i) => (typeof d === 'number' ? d : 0));
    const ends = begin.map((b, i) => (typeof n.shape[i] === 'number' ? b + step[i] * shape[i] : 2 ** 53 - 1)).map((e, i) => (e < 0 && step[i] < 0 ? -(2 ** 53 - 1) : e));
    return e.op('Slice', [ins[0], e.constI64(begin), e.constI64(ends), e.constI64([...begin.keys()]), e.constI64(step)]);
  },
  onnxImport: { Slice: sliceImport },
  showAttrs: (a) => `begin=[${a.begin}] step=[${a.step}]`,
});

/**
 * SliceGrad as ONNX: g placed into zeros of like's shape. One Pad takes every axis of step 1 (zeros before
 * and after the slice) and one zero past g's end on each other axis; then each axis of another step is a
 * Gather along it with a constant index per place of like's dim: the slice's element there, else that zero.
 */
export function sliceGradOnnx(e: OnnxEmit, n: Node, [g]: readonly string[]): string {
  const gs = n.inputs[0].shape, ls = n.shape, r = ls.length;
  const begin = n.attrs.begin as number[], step = n.attrs.step as number[];
  const pads = Array<number>(2 * r).fill(0), strided: number[] = [];
  for (let a = 0; a < r; a++) {
    const k = gs[a], d = ls[a];
    // a symbolic dim is sliced whole (sliceOf)
    if (typeof k !== 'number' || typeof d !== 'number' || (begin[a] === 0 && step[a] === 1 && k === d)) continue;
    if (step[a] === 1) [pads[a], pads[a + r]] = [begin[a], d - begin[a] - k];
    else (pads[a + r] = 1), strided.push(a);
  }
  let out = pads.some((p) => p !== 0) ? e.op('Pad', [g, e.constI64(pads)]) : g;
  for (const a of strided) {
    const k = gs[a] as number, idx = Array<number>(ls[a] as number).fill(k);
    for (let i = 0; i < k; i++) idx[begin[a] + step[a] * i] = i;
    out = e.op('Gather', [out, e.constI64(idx)], { axis: a });
  }
  return out === g ? e.op('Identity', [g]) : out;
}

defineOp({
  name: 'SliceGrad',
  dsl: { internal: 'made by gradient rules (the gradient of Slice)' },
  arity: 2,
  infer: ([, like]) => ({ shape: like.shape, dtype: 'f32' }),
  // a sum of one slice's gradient: zeros where the slice is not, its gradient copied into its places
  kernel: (ctx) => sliceGradSumKernel(ctx.outShape, [{ shape: ctx.inShapes[0], begin: ctx.attrs.begin as number[], step: ctx.attrs.step as number[] }], ctx.precision),
  grad: (n, g) => [B.mk('Slice', [g], { begin: n.attrs.begin, step: n.attrs.step, shape: n.attrs.shape }), null],
  onnx: sliceGradOnnx,
  showAttrs: (a) => `begin=[${a.begin}] step=[${a.step}]`,
});

/** Pad: attr pads [b0..b(r-1), e0..e(r-1)] (non-negative), mode, value. */
defineOp({
  name: 'Pad',
  dsl: { internal: 'read from ONNX files by the importer' },
  arity: 1,
  infer([x], a, src) {
    const pads = a.pads as number[], r = x.shape.length;
    if (pads.length !== 2 * r || pads.some((p) => p < 0)) throw new GraphError(`Pad: pads [${pads}] do not fit ${shapeStr(x.shape)}`, src);
    return { shape: x.shape.map((d, i) => (pads[i] === 0 && pads[i + r] === 0 ? d : typeof d === 'number' ? d + pads[i] + pads[i + r] : `${d}+${pads[i] + pads[i + r]}`)), dtype: x.dtype };
  },
  kernel(ctx) {
    const s = ctx.inShapes[0], o = ctx.outShape, r = s.length, pads = ctx.attrs.pads as number[], mode = ctx.attrs.mode as string;
    const st = rowMajorStrides(s), n = prod(o), map = new Int32Array(n), idx = new Array<number>(r).fill(0);
    const at = (i: number, d: number): number => {
      const len = s[d];
      if (i >= 0 && i < len) return i;
      if (mode === 'edge') return i < 0 ? 0 : len - 1;
      if (mode === 'reflect' && len > 1) {
        const period = 2 * (len - 1);
        const m = ((i % period) + period) % period;
        return m < len ? m : period - m;
      }
      return -1;
    };
    for (let k = 0; k < n; k++) {
      let off = 0;
      for (let d = 0; d < r && off >= 0; d++) {
        const i = at(idx[d] - pads[d], d);
        off = i < 0 ? -1 : off + i * st[d];
      }
      map[k] = off;
      for (let d = r - 1; d >= 0; d--) if (++idx[d] < o[d]) break; else idx[d] = 0;
    }
    const value = (ctx.attrs.value as number) ?? 0;
    return (ins, out) => { const x = ins[0]; for (let k = 0; k < n; k++) out[k] = map[k] < 0 ? value : x[map[k]]; };
  },
  grad(n, g) {
    if (n.attrs.mode !== 'constant') throw new GraphError(`Pad: no gradient for mode '${n.attrs.mode}'`, n.src);
    const r = n.shape.length, pads = n.attrs.pads as number[];
    return [B.mk('Slice', [g], { begin: pads.slice(0, r), step: Array(r).fill(1), shape: [...n.inputs[0].shape] as number[] })];
  },
  onnx: (e, n, ins) => e.op('Pad', [ins[0], e.constI64(n.attrs.pads as number[]), e.constF32([(n.attrs.value as number) ?? 0], [])], { mode: n.attrs.mode as string }),
  onnxImport: { Pad: padImport },
  showAttrs: (a) => `pads=[${a.pads}] ${a.mode}`,
});

defineOp({
  name: 'Concat',
  dsl: { internal: 'read from ONNX files by the importer' },
  arity: 'variadic',
  infer(xs, a, src) {
    const r = xs[0].shape.length;
    const axis = a.axis as number;
    let total: Dim = 0;
    for (const x of xs) {
      if (x.shape.length !== r || x.shape.some((d, i) => i !== axis && d !== xs[0].shape[i]))
        throw new GraphError(`Concat: shapes ${xs.map((y) => shapeStr(y.shape)).join(', ')} differ off axis ${axis}`, src);
      const d = x.shape[axis];
      total = typeof total === 'number' && typeof d === 'number' ? total + d : `${total}+${d}`;
    }
    return { shape: xs[0].shape.map((d, i) => (i === axis ? total : d)), dtype: xs.every((x) => x.dtype === 'i64') ? 'i64' : 'f32' };
  },
  kernel(ctx) {
    const axis = ctx.attrs.axis as number, o = ctx.outShape;
    const outer = prod(o.slice(0, axis)), rowOut = prod(o.slice(axis));
    const rows = ctx.inShapes.map((s) => prod(s.slice(axis)));
    return (ins, out) => {
      for (let b = 0; b < outer; b++) {
        let off = b * rowOut;
        for (let k = 0; k < ins.length; k++) {
          const w = rows[k];
          out.set(ins[k].subarray(b * w, b * w + w), off);
          off += w;
        }
      }
    };
  },
  grad(n, g) {
    const axis = n.attrs.axis as number;
    let at = 0;
    return n.inputs.map((x) => {
      const d = x.shape[axis];
      if (typeof d !== 'number') throw new GraphError(`Concat: no gradient along symbolic axis ${axis}`, n.src);
      const part = B.sliceAxis(g, axis, at, d);
      at += d;
      return part;
    });
  },
  onnx: (e, n, ins) => e.op('Concat', ins, { axis: n.attrs.axis as number }),
  onnxImport: { Concat: concatImport },
  showAttrs: (a) => `axis=${a.axis}`,
});

const gatherShape = (data: readonly Dim[], idx: readonly Dim[], axis: number): Dim[] => [...data.slice(0, axis), ...idx, ...data.slice(axis + 1)];
const gatherDims = (data: readonly number[], axis: number) => [prod(data.slice(0, axis)), data[axis], prod(data.slice(axis + 1))];

/** Gather(data, indices), attr axis: indices (any shape, negative from the end) select along the axis. */
defineOp({
  name: 'Gather',
  dsl: { internal: 'read from ONNX files by the importer' },
  arity: 2,
  infer: ([x, i], a) => ({ shape: gatherShape(x.shape, i.shape, a.axis as number), dtype: x.dtype }),
  kernel(ctx) {
    const [outer, n, inner] = gatherDims(ctx.inShapes[0], ctx.attrs.axis as number);
    const m = prod(ctx.inShapes[1]);
    return (ins, out) => {
      const [x, idx] = ins;
      for (let o = 0; o < outer; o++)
        for (let j = 0; j < m; j++) {
          const k = idx[j] < 0 ? idx[j] + n : idx[j];
          // indices are data: one that is not an integer in range is the data's error, as in PyTorch
          if (!(k >= 0 && k < n && Number.isInteger(k))) throw new ShapeError(`Gather: index ${idx[j]} is not an integer in [${-n}, ${n}) (the axis has ${n})`);
          const src = (o * n + k) * inner;
          out.set(x.subarray(src, src + inner), (o * m + j) * inner);
        }
    };
  },
  grad: (n, g) => [B.mk('GatherGrad', [g, n.inputs[1], n.inputs[0]], n.attrs), null],
  onnx: (e, n, ins) => e.op('Gather', ins, { axis: n.attrs.axis as number }),
  onnxImport: { Gather: gatherImport },
  showAttrs: (a) => `axis=${a.axis}`,
});

defineOp({
  name: 'GatherGrad',
  dsl: { internal: 'made by gradient rules (the gradient of Gather)' },
  arity: 3,
  infer: ([, , like]) => ({ shape: like.shape, dtype: 'f32' }),
  kernel(ctx) {
    const [outer, n, inner] = gatherDims(ctx.outShape, ctx.attrs.axis as number);
    const m = prod(ctx.inShapes[1]);
    return (ins, out) => {
      const [g, idx] = ins;
      out.fill(0);
      for (let o = 0; o < outer; o++)
        for (let j = 0; j < m; j++) {
          const k = idx[j] < 0 ? idx[j] + n : idx[j];
          const dst = (o * n + k) * inner, src = (o * m + j) * inner;
          for (let t = 0; t < inner; t++) out[dst + t] += g[src + t];
        }
    };
  },
  grad: (n, g) => [B.mk('Gather', [g, n.inputs[1]], n.attrs), null, null],
  onnx: gatherGradOnnx,
  showAttrs: (a) => `axis=${a.axis}`,
});

/**
 * GatherGrad as ONNX: g as [outer, m, inner] (m the indices' count) added into zeros of like's shape as
 * [outer, n, inner] by ScatterElements with reduction add, each index Expanded over outer and inner.
 */
function gatherGradOnnx(e: OnnxEmit, n: Node, [g, idx, like]: readonly string[]): string {
  const a = n.attrs.axis as number, ls = n.shape, is = n.inputs[1].shape, before = ls.slice(0, a), rest = ls.slice(a + 1);
  const isStatic = (s: readonly unknown[]) => s.every((d) => typeof d === 'number');
  // one of outer and m may be symbolic (a batch of tensors gathered from, or of indices), as Reshape's -1
  if (!isStatic([ls[a], ...rest]) || (!isStatic(before) && !isStatic(is)))
    throw new GraphError(`ONNX export: Gather's gradient needs static dims from its axis on, and static dims before it or static indices, got ${shapeStr(ls)} (axis ${a}) and indices ${shapeStr(is)}`, n.src);
  const inner = prod(rest as number[]);
  const shape3 = (k: number) => (isStatic(before) ? e.constI64([prod(before as number[]), k, inner]) : e.constI64([-1, k, inner]));
  const g3 = e.op('Reshape', [g, isStatic(before) ? e.constI64([prod(before as number[]), -1, inner]) : shape3(prod(is as number[]))]);
  const i3 = e.op('Expand', [e.op('Reshape', [idx, e.constI64([1, -1, 1])]), e.shapeOf(g3)]);
  const zeros = e.op('Reshape', [e.op('Expand', [e.constF32([0], []), e.shapeOf(like)]), shape3(ls[a] as number)]);
  return e.op('Reshape', [e.op('ScatterElements', [zeros, i3, g3], { axis: 1, reduction: 'add' }), e.shapeOf(like)]);
}

/** Expand: numpy broadcast of x with a shape (ONNX's Expand: either side may be 1). */
defineOp({
  name: 'Expand',
  dsl: { internal: 'read from ONNX files by the importer' },
  arity: 1,
  infer([x], a, src) {
    const s = broadcastShapes(x.shape, a.shape as Dim[]);
    if (!s) throw new GraphError(`Expand: ${shapeStr(x.shape)} does not broadcast with ${shapeStr(a.shape as Dim[])}`, src);
    return { shape: s, dtype: x.dtype };
  },
  kernel: (ctx) => elementwiseKernel('x0', [ctx.inShapes[0]], ctx.outShape, (xs) => xs[0]),
  grad: (n, g) => [B.sumTo(g, n.inputs[0].shape)],
  // a symbolic dim the input has at that axis is written 1 (Expand keeps the input's); any other's size is
  // read from a tensor carrying it, else refused: a 1 would leave it to broadcasting, which a reduction or
  // product after the Expand does not do
  onnx: (e, n, ins) => {
    const x = n.inputs[0].shape, off = n.shape.length - x.length;
    const sizes = n.shape.map((d, i) => (typeof d === 'number' || x[i - off] === d ? undefined : (e.dimOf?.(d) ?? unread(n, d))));
    if (sizes.every((s) => s === undefined)) return e.op('Expand', [ins[0], e.constI64(n.shape.map((d) => (typeof d === 'number' ? d : 1)))]);
    return e.op('Expand', [ins[0], e.op('Concat', n.shape.map((d, i) => sizes[i] ?? e.constI64([typeof d === 'number' ? d : 1])), { axis: 0 })]);
  },
  onnxImport: { Expand: expandImport },
  showAttrs: (a) => shapeStr(a.shape as Dim[]),
});

export const normAxis = (axis: number, rank: number, what: string, src?: Node['src']): number => {
  try {
    return normAxes([axis], rank)[0];
  } catch {
    throw new GraphError(`${what}: axis ${axis} is out of range for rank ${rank}`, src);
  }
};
export type { Attrs };
