/**
 * Ops that read or write one element per index along an axis (ONNX's GatherElements and ScatterElements):
 * indices have the data's rank, and index position i addresses the data at i with its `axis` coordinate
 * replaced by the index (negative counting from the end). GatherElements' gradient scatter-adds into
 * zeros (GatherElementsGrad); ScatterElements' passes the gradient to the data except at the written
 * positions (reduction none) or everywhere (add), and gathers it for the updates.
 */
import { defineOp, onnxOperand, onnxRule, UnsupportedError, type OnnxImportCtx } from './op.ts';
import type { Node } from '../ir/node.ts';
import { normAxes, shapeStr, ShapeError, type Dim } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import * as B from '../ir/build.ts';
import { rowMajorStrides } from '../../runtime/kernels/strides.ts';

/** A scatter's reductions (ScatterElements here, ScatterND in nd-index.ts). */
export const REDUCTIONS = ['none', 'add', 'mul', 'max', 'min'] as const;
export type Reduction = (typeof REDUCTIONS)[number];

/** A place's new value from its value and an update, by a scatter's reduction. */
export function combine(red: Reduction): (was: number, v: number) => number {
  return red === 'add' ? (a, v) => a + v : red === 'mul' ? (a, v) => a * v : red === 'max' ? Math.max : red === 'min' ? Math.min : (_a, v) => v;
}

/**
 * For a scatter with reduction none, the places (of `count`) a call has written: a place written twice has
 * no defined value (ONNX) and no defined gradient, and the kernel refuses it. Cleared at each call's
 * `start` (a kernel keeps no state between calls; the scatter's copy of the data is as long).
 */
export function writtenOnce(count: number): { start(): void; first(at: number): boolean } {
  const seen = new Uint8Array(count);
  return {
    start: () => seen.fill(0),
    first(at) {
      if (seen[at]) return false;
      seen[at] = 1;
      return true;
    },
  };
}

/** For each index position, the data offset with its axis coordinate 0, and the axis's length and stride. */
export function elementOffsets(data: readonly number[], idx: readonly number[], axis: number): { base: Int32Array; n: number; stride: number } {
  const st = rowMajorStrides(data), r = idx.length, count = idx.reduce((p, d) => p * d, 1);
  const base = new Int32Array(count), at = new Array<number>(r).fill(0);
  for (let k = 0; k < count; k++) {
    let off = 0;
    for (let a = 0; a < r; a++) if (a !== axis) off += at[a] * st[a];
    base[k] = off;
    for (let a = r - 1; a >= 0; a--) if (++at[a] < idx[a]) break; else at[a] = 0;
  }
  return { base, n: data[axis], stride: st[axis] };
}

/** Index v along an axis of n (negative counting from the end), or a ShapeError naming the op and the index. */
const axisIndex = (op: string, n: number, v: number): number => {
  const j = v < 0 ? v + n : v;
  if (!(j >= 0 && j < n && Number.isInteger(j))) throw new ShapeError(`${op}: index ${v} is not an integer in [${-n}, ${n}) (the axis has ${n})`);
  return j;
};

/** The data offset of index position k holding v, or a ShapeError naming the op for an index out of range. */
const offsetOf = (op: string, base: Int32Array, n: number, stride: number, k: number, v: number): number => base[k] + axisIndex(op, n, v) * stride;

function checkIndices(op: string, data: readonly Dim[], idx: readonly Dim[], axis: number, src: Node['src']): void {
  const r = data.length;
  if (idx.length !== r || !Number.isInteger(axis) || axis < 0 || axis >= r) throw new GraphError(`${op}: indices ${shapeStr(idx)} along axis ${axis} of data ${shapeStr(data)}`, src);
  for (let a = 0; a < r; a++)
    if (a !== axis && typeof idx[a] === 'number' && typeof data[a] === 'number' && (idx[a] as number) > (data[a] as number))
      throw new GraphError(`${op}: indices ${shapeStr(idx)} larger than the data ${shapeStr(data)} on axis ${a}`, src);
}

/** GatherElements(data, indices), attr axis (normalized). */
defineOp({
  name: 'GatherElements',
  dsl: { internal: 'read from ONNX files by the importer (GatherElements, and TopK\'s values) and made by gradient rules' },
  arity: 2,
  infer([x, i], a, src) {
    checkIndices('GatherElements', x.shape, i.shape, a.axis as number, src);
    return { shape: i.shape, dtype: x.dtype };
  },
  kernel(ctx) {
    const { base, n, stride } = elementOffsets(ctx.inShapes[0], ctx.inShapes[1], ctx.attrs.axis as number);
    return (ins, out) => {
      const [x, idx] = ins;
      for (let k = 0; k < base.length; k++) out[k] = x[offsetOf('GatherElements', base, n, stride, k, idx[k])];
    };
  },
  grad: (n, g) => [B.mk('GatherElementsGrad', [g, n.inputs[1], n.inputs[0]], n.attrs), null],
  onnx: (e, n, ins) => e.op('GatherElements', ins, { axis: n.attrs.axis as number }),
  onnxImport: { GatherElements: onnxRule([11, 13], gatherElements) },
  showAttrs: (a) => `axis=${a.axis}`,
});

/**
 * ONNX's GatherElements (opset 11 and 13 read alike). Indices known at import are checked here, as the
 * kernel checks them when the model runs: one out of range is refused by the same line, naming the op
 * and the index.
 */
function gatherElements(c: OnnxImportCtx): Node {
  const x = onnxOperand(c, 0), r = x.shape.length, axis = c.attrInt('axis', 0);
  if (axis < -r || axis >= r) throw new UnsupportedError(`attribute 'axis' ${axis} for data of rank ${r}`);
  const a = normAxes([axis], r)[0], n = x.shape[a], known = c.intConst(1);
  if (known && typeof n === 'number') for (const v of known.values) if (typeof v === 'number') axisIndex('GatherElements', n, v);
  return B.mk('GatherElements', [x, onnxOperand(c, 1)], { axis: a });
}

/** GatherElementsGrad(g, indices, like): g scatter-added into zeros of like's shape. */
defineOp({
  name: 'GatherElementsGrad',
  dsl: { internal: 'made by gradient rules (the gradient of GatherElements)' },
  arity: 3,
  infer: ([, , like]) => ({ shape: like.shape, dtype: 'f32' }),
  kernel(ctx) {
    const { base, n, stride } = elementOffsets(ctx.outShape, ctx.inShapes[1], ctx.attrs.axis as number);
    return (ins, out) => {
      const [g, idx] = ins;
      out.fill(0);
      for (let k = 0; k < base.length; k++) out[offsetOf('GatherElementsGrad', base, n, stride, k, idx[k])] += g[k];
    };
  },
  grad: (n, g) => [B.mk('GatherElements', [g, n.inputs[1]], n.attrs), null, null],
  showAttrs: (a) => `axis=${a.axis}`,
});

/** Zeros of a node's shape (symbolic dims kept), as an expanded scalar. */
export const zerosLike = (x: Node): Node => B.mk('Expand', [B.scalar(0)], { shape: [...x.shape] as number[] });

/** ScatterElements(data, indices, updates), attrs axis (normalized) and reduction. */
defineOp({
  name: 'ScatterElements',
  dsl: { internal: 'read from ONNX files by the importer' },
  arity: 3,
  infer([x, i, u], a, src) {
    checkIndices('ScatterElements', x.shape, i.shape, a.axis as number, src);
    if (u.shape.length !== i.shape.length || u.shape.some((d, k) => d !== i.shape[k])) throw new GraphError(`ScatterElements: updates ${shapeStr(u.shape)} differ from indices ${shapeStr(i.shape)}`, src);
    if (!REDUCTIONS.includes(a.reduction as Reduction)) throw new GraphError(`ScatterElements: reduction '${a.reduction}'`, src);
    return { shape: x.shape, dtype: x.dtype };
  },
  kernel(ctx) {
    const { base, n, stride } = elementOffsets(ctx.inShapes[0], ctx.inShapes[1], ctx.attrs.axis as number);
    const red = ctx.attrs.reduction as Reduction, f = combine(red);
    const once = red === 'none' ? writtenOnce(ctx.outShape.reduce((p, d) => p * d, 1)) : null;
    return (ins, out) => {
      const [x, idx, u] = ins;
      out.set(x);
      once?.start();
      for (let k = 0; k < base.length; k++) {
        const o = offsetOf('ScatterElements', base, n, stride, k, idx[k]);
        if (once && !once.first(o)) throw new ShapeError(`ScatterElements: index ${idx[k]} writes a place written before, with reduction none (ONNX leaves the result undefined)`);
        out[o] = f(out[o], u[k]);
      }
    };
  },
  grad(n, g) {
    const [, idx, u] = n.inputs, red = n.attrs.reduction;
    const gu = B.mk('GatherElements', [g, idx], { axis: n.attrs.axis });
    if (red === 'add') return [g, null, gu];
    if (red === 'none') return [B.mk('ScatterElements', [g, idx, zerosLike(u)], n.attrs), null, gu];
    throw new GraphError(`ScatterElements: no gradient for reduction '${red}'`, n.src);
  },
  onnx(e, n, ins) {
    const red = n.attrs.reduction as Reduction;
    if (red === 'max' || red === 'min') throw new GraphError(`ScatterElements: reduction '${red}' needs opset 18 (export writes 17)`, n.src);
    return e.op('ScatterElements', ins, { axis: n.attrs.axis as number, ...(red === 'none' ? {} : { reduction: red }) });
  },
  onnxImport: {
    ScatterElements: onnxRule([11, 13, 16, 18], (c) => scatterElements(c, c.opset >= 18 ? REDUCTIONS : c.opset >= 16 ? REDUCTIONS.slice(0, 3) : ['none'])),
    Scatter: onnxRule([9, 11], (c) => scatterElements(c, ['none'])),
  },
  showAttrs: (a) => `axis=${a.axis} ${a.reduction}`,
});

function scatterElements(c: Parameters<Parameters<typeof onnxRule>[1]>[0], allowed: readonly string[]): Node {
  const red = allowed.length > 1 ? c.attrString('reduction', 'none') : 'none';
  if (!allowed.includes(red)) throw new UnsupportedError(`attribute 'reduction' '${red}' (opset ${c.opset} allows ${allowed.join(', ')})`);
  const x = onnxOperand(c, 0), r = x.shape.length, axis = c.attrInt('axis', 0);
  if (axis < -r || axis >= r) throw new UnsupportedError(`attribute 'axis' ${axis} for data of rank ${r}`);
  return B.mk('ScatterElements', [x, onnxOperand(c, 1), onnxOperand(c, 2)], { axis: normAxes([axis], r)[0], reduction: red });
}
