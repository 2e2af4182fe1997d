/** Reductions over all elements or given axes (numpy `keepdims` semantics), and element counts. */
import { defineOp } from './op.ts';
import { reduction } from './onnx-read.ts';
import type { Attrs, Node } from '../ir/node.ts';
import { normAxes, type Dim } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import * as B from '../ir/build.ts';
import { reduceKernel } from '../../runtime/kernels/reduce.ts';
import { heap } from '../../runtime/kernels/heap.ts';
import { offsetMap, rowMajorStrides } from '../../runtime/kernels/strides.ts';

function reducedShape(shape: readonly Dim[], attrs: Attrs, op: string, src: Node['src']): Dim[] {
  let axes: number[];
  try {
    axes = normAxes(attrs.axes as number[] | null, shape.length);
  } catch (e) {
    throw new GraphError(`${op}: ${(e as Error).message}`, src);
  }
  const keep = attrs.keepdims === true;
  return shape.flatMap((d, i) => (axes.includes(i) ? (keep ? [1] : []) : [d]));
}

const axesOf = (n: Node): number[] => normAxes(n.attrs.axes as number[] | null, n.inputs[0].shape.length);

/** Brings an output gradient back to the input's rank (re-inserting reduced axes) and shape. */
function spread(n: Node, g: Node): Node {
  const axes = axesOf(n);
  const kept = n.attrs.keepdims === true ? g : B.unsqueeze(g, axes);
  return B.expandAs(kept, n.inputs[0]);
}

const showReduce = (a: Attrs) => `axes=${a.axes === null ? 'all' : `[${a.axes}]`}${a.keepdims ? ' keepdims' : ''}`;

defineOp({
  name: 'Sum',
  dsl: { method: 'sum', fn: 'sum' },
  arity: 1,
  infer: (inputs, a, src) => ({ shape: reducedShape(inputs[0].shape, a, 'Sum', src), dtype: 'f32' }),
  kernel: (ctx) => reduceKernel('sum', ctx.inShapes[0], normAxes(ctx.attrs.axes as number[] | null, ctx.inShapes[0].length), ctx.precision),
  grad: (n, g) => [spread(n, g)],
  onnx: (e, n, ins) => {
    const axes = n.attrs.axes as number[] | null;
    const keepdims = n.attrs.keepdims ? 1 : 0;
    return axes === null ? e.op('ReduceSum', ins, { keepdims }) : e.op('ReduceSum', [ins[0], e.constI64(axes)], { keepdims });
  },
  // the axes an input from opset 13
  onnxImport: { ReduceSum: reduction([1, 11, 13], 13, B.sum) },
  showAttrs: showReduce,
});

defineOp({
  name: 'Mean',
  dsl: { method: 'mean', fn: 'mean' },
  arity: 1,
  infer: (inputs, a, src) => ({ shape: reducedShape(inputs[0].shape, a, 'Mean', src), dtype: 'f32' }),
  kernel: (ctx) => reduceKernel('mean', ctx.inShapes[0], normAxes(ctx.attrs.axes as number[] | null, ctx.inShapes[0].length), ctx.precision),
  grad: (n, g) => [B.div(spread(n, g), B.sizeOf(n.inputs[0], n.attrs.axes as number[] | null))],
  // opset 17: ReduceMean takes its axes as an attribute.
  onnx: (e, n, ins) => {
    const axes = n.attrs.axes as number[] | null;
    const keepdims = n.attrs.keepdims ? 1 : 0;
    return axes === null ? e.op('ReduceMean', ins, { keepdims }) : e.op('ReduceMean', ins, { axes, keepdims });
  },
  // the axes an input from opset 18
  onnxImport: { ReduceMean: reduction([1, 11, 13, 18], 18, B.mean) },
  showAttrs: showReduce,
});

defineOp({
  name: 'SizeOf',
  dsl: { internal: 'element counts made by gradient rules and passes (the mean\'s divisor)' },
  arity: 1,
  infer: () => ({ shape: [], dtype: 'f32' }),
  kernel: (ctx) => {
    const s = ctx.inShapes[0];
    const n = normAxes(ctx.attrs.axes as number[] | null, s.length).reduce((p, a) => p * s[a], 1);
    const kernel = (_ins: readonly Float32Array[], out: Float32Array) => {
      out[0] = n;
    };
    // as a plan's WebAssembly call (runtime/kernels/wasm/sequence.ts): a store of n's float32 bits
    const h = heap(), bits = new Int32Array(Float32Array.of(n).buffer)[0];
    return Object.assign(kernel, { wasm: h && ctx.precision === 'f32' ? { arity: 2, args: (_ins: readonly Float32Array[], out: Float32Array) => (h.owns(out) ? [out.byteOffset, bits] : null) } : undefined });
  },
  grad: () => [null],
  onnx: (e, n, ins) => {
    const axes = n.attrs.axes as number[] | null;
    const shape = e.shapeOf(ins[0]);
    const picked = axes === null ? shape : e.op('Gather', [shape, e.constI64(axes)], { axis: 0 });
    return e.op('Cast', [e.op('ReduceProd', [picked], { keepdims: 0 })], { to: 1 });
  },
  showAttrs: (a) => `axes=${a.axes === null ? 'all' : `[${a.axes}]`}`,
});

/** Product over axes: each input element multiplied into its output slot. d/dx = g·prod/x (x ≠ 0). */
defineOp({
  name: 'Prod',
  dsl: { internal: 'read from ONNX files by the importer (ReduceProd)' },
  arity: 1,
  infer: (inputs, a, src) => ({ shape: reducedShape(inputs[0].shape, a, 'Prod', src), dtype: 'f32' }),
  kernel(ctx) {
    const s = ctx.inShapes[0];
    const axes = normAxes(ctx.attrs.axes as number[] | null, s.length);
    const kept = s.map((d, i) => (axes.includes(i) ? 1 : d));
    const st = rowMajorStrides(kept).map((v, i) => (axes.includes(i) ? 0 : v));
    const slot = offsetMap(s, st);
    return (ins, out) => {
      out.fill(1);
      const x = ins[0];
      for (let i = 0; i < slot.length; i++) out[slot[i]] *= x[i];
    };
  },
  grad: (n, g) => {
    const keep = B.mk('Prod', n.inputs, { ...n.attrs, keepdims: true });
    return [B.div(B.mul(spread(n, g), B.expandAs(keep, n.inputs[0])), n.inputs[0])];
  },
  onnx: (e, n, ins) => {
    const axes = n.attrs.axes as number[] | null;
    return e.op('ReduceProd', ins, axes === null ? { keepdims: n.attrs.keepdims ? 1 : 0 } : { axes, keepdims: n.attrs.keepdims ? 1 : 0 });
  },
  onnxImport: { ReduceProd: reduction([1, 11, 13, 18], 18, (x, axes, keep) => B.mk('Prod', [x], { axes: axes ? [...axes] : null, keepdims: keep })) },
  showAttrs: showReduce,
});
