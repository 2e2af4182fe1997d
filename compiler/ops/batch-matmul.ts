/**
 * Matrix products of any rank with numpy batch broadcasting (ONNX MatMul, torch.matmul): a [..., M, K]
 * times b [..., K, N] gives [batch, M, N], batch the broadcast of the leading dims. Each batch slice runs
 * as a 2-D product, on the path a MatMul of its shape takes (the GEMM for most: runtime/kernels/
 * batch-matmul.ts). Gradients, with ᵀ swapping the last two axes: dA = sum-to-a(G·Bᵀ), dB = sum-to-b(Aᵀ·G).
 */
import { defineOp } from './op.ts';
import type { Node } from '../ir/node.ts';
import { broadcastShapes, shapeStr, type Dim } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import * as B from '../ir/build.ts';
import { batchMatmulKernel } from '../../runtime/kernels/batch-matmul.ts';

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
  kernel: (ctx) => batchMatmulKernel(ctx.inShapes[0], ctx.inShapes[1], ctx.outShape, false, false, ctx.precision),
  grad(n, g) {
    const [a, b] = n.inputs;
    return [B.sumTo(B.mk('BatchMatMul', [g, swapLast(b)]), a.shape), B.sumTo(B.mk('BatchMatMul', [swapLast(a), g]), b.shape)];
  },
  onnx: (e, _n, ins) => e.op('MatMul', ins),
});
