/**
 * TopK (ONNX's): the k largest (or smallest) elements of each slice along `axis`, sorted, with their int64
 * indices; equal values keep the lower index first, as ONNX says. One op computes the indices
 * (TopKIndices); the values are GatherElements of the input at them, so their gradient scatters back to
 * the indices (GatherElementsGrad), and the indices have none. Exported as ONNX's TopK (its second output).
 * Integer inputs (every integer type, held in float32) are read as floats are: their values keep the type.
 */
import { defineOp, onnxOperand, onnxRule, UnsupportedError } from './op.ts';
import { normAxes, shapeStr } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import * as B from '../ir/build.ts';
import { around } from './softmax.ts';

/** TopKIndices(x), attrs axis (normalized), k, largest. */
defineOp({
  name: 'TopKIndices',
  dsl: { internal: 'read from ONNX files by the importer (TopK)' },
  arity: 1,
  infer([x], a, src) {
    const axis = a.axis as number, k = a.k as number, d = x.shape[axis];
    if (!(axis >= 0 && axis < x.shape.length)) throw new GraphError(`TopK: axis ${axis} for a tensor of shape ${shapeStr(x.shape)}`, src);
    if (!Number.isInteger(k) || k < 0 || (typeof d === 'number' && k > d)) throw new GraphError(`TopK: k ${k} along axis ${axis} of ${shapeStr(x.shape)}`, src);
    return { shape: x.shape.map((e, i) => (i === axis ? k : e)), dtype: 'i64' };
  },
  kernel(ctx) {
    const [outer, n, inner] = around(ctx.inShapes[0], ctx.attrs.axis as number);
    const k = ctx.attrs.k as number, sign = ctx.attrs.largest ? 1 : -1;
    const order = Array.from({ length: n }, (_, i) => i);
    let x: Float32Array | Float64Array = new Float32Array(0), base = 0;
    // by value (largest or smallest first), NaN above every number, lower index first among equals
    const rank = (v: number) => (v !== v ? Infinity : v);
    const cmp = (p: number, q: number): number => {
      const a = x[base + p * inner], b = x[base + q * inner];
      const ra = rank(a), rb = rank(b);
      const d = ra === rb ? (a !== a) === (b !== b) ? 0 : a !== a ? -sign : sign : ra < rb ? sign : -sign;
      return d === 0 ? p - q : d;
    };
    return (ins, out) => {
      x = ins[0];
      for (let o = 0; o < outer; o++)
        for (let j = 0; j < inner; j++) {
          base = o * n * inner + j;
          for (let i = 0; i < n; i++) order[i] = i;
          order.sort(cmp);
          for (let t = 0; t < k; t++) out[o * k * inner + t * inner + j] = order[t];
        }
    };
  },
  grad: () => [null],
  onnx(e, n, ins) {
    const first = e.op('TopK', [ins[0], e.constI64([n.attrs.k as number])], { axis: n.attrs.axis as number, largest: n.attrs.largest ? 1 : 0, sorted: 1 }, 2);
    return e.output(first, 1);
  },
  onnxImport: {
    TopK: onnxRule([1, 10, 11, 24], (c) => {
      const x = onnxOperand(c, 0), r = x.shape.length;
      const axis = c.attrInt('axis', -1);
      if (axis < -r || axis >= r) throw new UnsupportedError(`attribute 'axis' ${axis} for an input of rank ${r}`);
      const ks = c.opset >= 10 ? c.known(1, 'k decides the output\'s shape') : [c.attrInt('k', -1)];
      if (ks.length !== 1 || !Number.isInteger(ks[0]) || ks[0] < 0) throw new UnsupportedError(`k [${ks}] (a non-negative integer expected)`);
      const largest = c.opset >= 11 ? c.attrInt('largest', 1) : 1;
      // sorted 0 leaves the order to the implementation: the sorted order is one
      const sorted = c.opset >= 11 ? c.attrInt('sorted', 1) : 1;
      if (largest !== 0 && largest !== 1) throw new UnsupportedError(`attribute 'largest' ${largest} (0 or 1 expected)`);
      if (sorted !== 0 && sorted !== 1) throw new UnsupportedError(`attribute 'sorted' ${sorted} (0 or 1 expected)`);
      const a = normAxes([axis], r)[0];
      // integers (held in float32) sort as numbers: the values keep the input's type, the indices int64
      if (x.dtype === 'bool') throw new UnsupportedError('TopK of a bool tensor (numbers expected)');
      const idx = B.mk('TopKIndices', [x], { axis: a, k: ks[0], largest: largest === 1 });
      return [B.mk('GatherElements', [x, idx], { axis: a }), idx];
    }),
  },
  showAttrs: (a) => `axis=${a.axis} k=${a.k} ${a.largest ? 'largest' : 'smallest'}`,
});
