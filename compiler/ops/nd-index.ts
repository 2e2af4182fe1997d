/**
 * Ops that address slices of the data by index tuples (ONNX's GatherND and ScatterND): the last axis of
 * the indices holds m coordinates (negative counting from the end) into the data's leading axes after
 * `batch_dims` shared ones, each naming the slice of the remaining axes. GatherND's gradient scatter-adds
 * into zeros (GatherNDGrad); ScatterND's passes the gradient to the data except at the written slices
 * (reduction none) or everywhere (add), and gathers it for the updates.
 */
import { defineOp, onnxOperand, onnxRule, UnsupportedError } from './op.ts';
import type { Node } from '../ir/node.ts';
import { shapeStr, ShapeError, type Dim } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import * as B from '../ir/build.ts';
import { rowMajorStrides } from '../../runtime/kernels/strides.ts';
import { combine, writtenOnce, REDUCTIONS, zerosLike, type Reduction } from './elements.ts';

const prod = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

/** The shape of GatherND(data, indices) (ScatterND's updates, with b 0), or a GraphError. */
function ndShape(op: string, data: readonly Dim[], idx: readonly Dim[], b: number, src: Node['src']): Dim[] {
  const m = idx[idx.length - 1];
  const bad = (why: string) => new GraphError(`${op}: ${why} (data ${shapeStr(data)}, indices ${shapeStr(idx)}, batch_dims ${b})`, src);
  if (idx.length < 1 || typeof m !== 'number') throw bad('the indices\' last axis must be static');
  if (!Number.isInteger(b) || b < 0 || b >= Math.min(data.length, idx.length)) throw bad('batch_dims out of range');
  if (m < 1 || m > data.length - b) throw bad(`tuples of ${m} coordinates`);
  for (let a = 0; a < b; a++) if (data[a] !== idx[a]) throw bad(`batch axis ${a} differs`);
  return [...idx.slice(0, -1), ...data.slice(b + m)];
}

/** Prepared addressing: batches, tuples per batch, coordinates per tuple, slice size, and each coordinate's extent and stride. */
function ndPlan(data: readonly number[], idx: readonly number[], b: number) {
  const m = idx[idx.length - 1], within = data.slice(b), st = rowMajorStrides(within);
  return { batches: prod(data.slice(0, b)), slab: prod(within), tuples: prod(idx.slice(b, -1)), m, size: prod(data.slice(b + m)), dims: within.slice(0, m), strides: st.slice(0, m) };
}
type Plan = ReturnType<typeof ndPlan>;

/** The data offset of tuple t (of batch bb), or a ShapeError naming the op for a coordinate out of range. */
function tupleOffset(op: string, p: Plan, idx: Float32Array, bb: number, t: number): number {
  let off = bb * p.slab;
  const at = (bb * p.tuples + t) * p.m;
  for (let j = 0; j < p.m; j++) {
    const v = idx[at + j], n = p.dims[j], i = v < 0 ? v + n : v;
    if (!(i >= 0 && i < n && Number.isInteger(i))) throw new ShapeError(`${op}: index ${v} is not an integer in [${-n}, ${n}) (axis of ${n})`);
    off += i * p.strides[j];
  }
  return off;
}

/** GatherND(data, indices), attr batch_dims. */
defineOp({
  name: 'GatherND',
  dsl: { internal: 'read from ONNX files by the importer' },
  arity: 2,
  infer: ([x, i], a, src) => ({ shape: ndShape('GatherND', x.shape, i.shape, a.batch_dims as number, src), dtype: x.dtype }),
  kernel(ctx) {
    const p = ndPlan(ctx.inShapes[0], ctx.inShapes[1], ctx.attrs.batch_dims as number);
    return (ins, out) => {
      const [x, idx] = ins;
      for (let bb = 0; bb < p.batches; bb++)
        for (let t = 0; t < p.tuples; t++) {
          const src = tupleOffset('GatherND', p, idx, bb, t);
          out.set(x.subarray(src, src + p.size), (bb * p.tuples + t) * p.size);
        }
    };
  },
  grad: (n, g) => [B.mk('GatherNDGrad', [g, n.inputs[1], n.inputs[0]], n.attrs), null],
  onnx: (e, n, ins) => e.op('GatherND', ins, { batch_dims: n.attrs.batch_dims as number }),
  onnxImport: {
    GatherND: onnxRule([11, 12, 13], (c) => {
      const b = c.opset >= 12 ? c.attrInt('batch_dims', 0) : 0;
      const x = onnxOperand(c, 0), i = onnxOperand(c, 1);
      if (b < 0 || b >= Math.min(x.shape.length, i.shape.length)) throw new UnsupportedError(`attribute 'batch_dims' ${b} for data ${shapeStr(x.shape)} and indices ${shapeStr(i.shape)}`);
      return B.mk('GatherND', [x, i], { batch_dims: b });
    }),
  },
  showAttrs: (a) => `batch_dims=${a.batch_dims}`,
});

/** GatherNDGrad(g, indices, like): g's slices scatter-added into zeros of like's shape. */
defineOp({
  name: 'GatherNDGrad',
  dsl: { internal: 'made by gradient rules (the gradient of GatherND)' },
  arity: 3,
  infer: ([, , like]) => ({ shape: like.shape, dtype: 'f32' }),
  kernel(ctx) {
    const p = ndPlan(ctx.outShape, ctx.inShapes[1], ctx.attrs.batch_dims as number);
    return (ins, out) => {
      const [g, idx] = ins;
      out.fill(0);
      for (let bb = 0; bb < p.batches; bb++)
        for (let t = 0; t < p.tuples; t++) {
          const dst = tupleOffset('GatherNDGrad', p, idx, bb, t), src = (bb * p.tuples + t) * p.size;
          for (let s = 0; s < p.size; s++) out[dst + s] += g[src + s];
        }
    };
  },
  grad: (n, g) => [B.mk('GatherND', [g, n.inputs[1]], n.attrs), null, null],
  showAttrs: (a) => `batch_dims=${a.batch_dims}`,
});

/** ScatterND(data, indices, updates), attr reduction. */
defineOp({
  name: 'ScatterND',
  dsl: { internal: 'read from ONNX files by the importer' },
  arity: 3,
  infer([x, i, u], a, src) {
    const s = ndShape('ScatterND', x.shape, i.shape, 0, src);
    if (u.shape.length !== s.length || u.shape.some((d, k) => d !== s[k])) throw new GraphError(`ScatterND: updates ${shapeStr(u.shape)}, expected ${shapeStr(s)}`, src);
    if (!REDUCTIONS.includes(a.reduction as Reduction)) throw new GraphError(`ScatterND: reduction '${a.reduction}'`, src);
    return { shape: x.shape, dtype: x.dtype };
  },
  kernel(ctx) {
    const p = ndPlan(ctx.inShapes[0], ctx.inShapes[1], 0), red = ctx.attrs.reduction as Reduction, f = combine(red);
    const once = red === 'none' ? writtenOnce(p.slab) : null;
    return (ins, out) => {
      const [x, idx, u] = ins;
      out.set(x);
      once?.start();
      for (let t = 0; t < p.tuples; t++) {
        const dst = tupleOffset('ScatterND', p, idx, 0, t), src = t * p.size;
        if (once && !once.first(dst)) throw new ShapeError(`ScatterND: index tuple ${t} writes a slice written before, with reduction none (ONNX leaves the result undefined)`);
        for (let s = 0; s < p.size; s++) out[dst + s] = f(out[dst + s], u[src + s]);
      }
    };
  },
  grad(n, g) {
    const [, idx, u] = n.inputs, red = n.attrs.reduction;
    const gu = B.mk('GatherND', [g, idx], { batch_dims: 0 });
    if (red === 'add') return [g, null, gu];
    if (red === 'none') return [B.mk('ScatterND', [g, idx, zerosLike(u)], n.attrs), null, gu];
    throw new GraphError(`ScatterND: no gradient for reduction '${red}'`, n.src);
  },
  onnx(e, n, ins) {
    const red = n.attrs.reduction as Reduction;
    if (red === 'max' || red === 'min') throw new GraphError(`ScatterND: reduction '${red}' needs opset 18 (export writes 17)`, n.src);
    return e.op('ScatterND', ins, red === 'none' ? {} : { reduction: red });
  },
  onnxImport: {
    ScatterND: onnxRule([11, 13, 16, 18], (c) => {
      const allowed: readonly string[] = c.opset >= 18 ? REDUCTIONS : c.opset >= 16 ? REDUCTIONS.slice(0, 3) : ['none'];
      const red = c.opset >= 16 ? c.attrString('reduction', 'none') : 'none';
      if (!allowed.includes(red)) throw new UnsupportedError(`attribute 'reduction' '${red}' (opset ${c.opset} allows ${allowed.join(', ')})`);
      return B.mk('ScatterND', [onnxOperand(c, 0), onnxOperand(c, 1), onnxOperand(c, 2)], { reduction: red });
    }),
  },
  showAttrs: (a) => `${a.reduction}`,
});
