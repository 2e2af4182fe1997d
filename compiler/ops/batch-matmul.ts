/**
 * Matrix products of any rank with numpy batch broadcasting (ONNX MatMul, torch.matmul): a [..., M, K]
 * times b [..., K, N] gives [batch, M, N], batch the broadcast of the leading dims. Sums accumulate in
 * float64. Gradients, with ᵀ swapping the last two axes: dA = sum-to-a(G·Bᵀ), dB = sum-to-b(Aᵀ·G).
 */
import { defineOp } from './op.ts';
import type { Node } from '../ir/node.ts';
import { broadcastShapes, shapeStr, type Dim } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import * as B from '../ir/build.ts';
import { broadcastIndexMap } from '../../runtime/kernels/elementwise.ts';

const swapLast = (x: Node): Node => {
  const r = x.shape.length;
  return B.transpose(x, [...Array(r - 2).keys(), r - 1, r - 2]);
};

defineOp({
  name: 'BatchMatMul',
  dsl: { internal: 'read from ONNX files by the importer (MatMul of rank other than 2)' },
  arity: 2,
  infer([a, b], _attrs, src) {
    if (a.shape.length < 2 || b.shape.length < 2) throw new GraphError(`BatchMatMul: operands of rank 2 or more, got ${shapeStr(a.shape)} · ${shapeStr(b.shape)}`, src);
    const [m, ka] = a.shape.slice(-2), [kb, n] = b.shape.slice(-2);
    if (ka !== kb) throw new GraphError(`BatchMatMul: inner dimensions differ: ${shapeStr(a.shape)} · ${shapeStr(b.shape)}`, src);
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
    if (!batch) throw new GraphError(`BatchMatMul: batch dims of ${shapeStr(a.shape)} and ${shapeStr(b.shape)} do not broadcast`, src);
    return { shape: [...batch, m, n] as Dim[], dtype: 'f32' };
  },
  kernel(ctx) {
    const [as, bs] = ctx.inShapes, o = ctx.outShape;
    const [M, K] = as.slice(-2), N = bs[bs.length - 1];
    const batch = o.slice(0, -2);
    const pad = (s: readonly number[]) => [...Array(batch.length - (s.length - 2)).fill(1), ...s.slice(0, -2)];
    const ia = broadcastIndexMap(pad(as), batch), ib = broadcastIndexMap(pad(bs), batch);
    const count = ia.length;
    return (ins, out) => {
      const [x, y] = ins;
      for (let t = 0; t < count; t++) {
        const ao = ia[t] * M * K, bo = ib[t] * K * N, oo = t * M * N;
        for (let i = 0; i < M; i++)
          for (let j = 0; j < N; j++) {
            let s = 0;
            for (let k = 0; k < K; k++) s += x[ao + i * K + k] * y[bo + k * N + j];
            out[oo + i * N + j] = s;
          }
      }
    };
  },
  grad(n, g) {
    const [a, b] = n.inputs;
    return [B.sumTo(B.mk('BatchMatMul', [g, swapLast(b)]), a.shape), B.sumTo(B.mk('BatchMatMul', [swapLast(a), g]), b.shape)];
  },
  onnx: (e, _n, ins) => e.op('MatMul', ins),
});
