/**
 * Matrix products of any rank with numpy batch broadcasting (ONNX MatMul, torch.matmul): op(a) [..., M, K]
 * times op(b) [..., K, N] gives [batch, M, N], batch the broadcast of the leading dims; op swaps the last
 * two axes where transA / transB say (a transposed operand read as stored, as MatMul's are). Each batch
 * slice runs as a 2-D product, on the path a MatMul of its shape takes (the GEMM for most:
 * runtime/kernels/batch-matmul.ts). Gradients, with G = dC and ᵀ swapping the last two axes:
 * d op(A) = G·op(B)ᵀ and d op(B) = op(A)ᵀ·G, written back through the flags as products with transposed
 * operands (no Transpose node), then summed over the batch dims each side was broadcast along.
 */
import { defineOp } from './op.ts';
import type { Node } from '../ir/node.ts';
import { broadcastShapes, shapeStr, type Dim } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import * as B from '../ir/build.ts';
import { batchMatmulKernel } from '../../runtime/kernels/batch-matmul.ts';

const flags = (n: { attrs: Node['attrs'] }) => [n.attrs.transA === true, n.attrs.transB === true] as const;
/** The last two axes swapped, the rest in place (a Transpose's perm). */
export const swapLastPerm = (r: number) => [...Array(r - 2).keys(), r - 1, r - 2];

defineOp({
  name: 'BatchMatMul',
  dsl: { internal: 'read from ONNX files by the importer (MatMul of rank other than 2)' },
  arity: 2,
  infer([a, b], attrs, src) {
    if (a.shape.length < 2 || b.shape.length < 2) throw new GraphError(`BatchMatMul: operands of rank 2 or more, got ${shapeStr(a.shape)} · ${shapeStr(b.shape)}`, src);
    const [tA, tB] = flags({ attrs });
    const [m, ka] = a.shape.slice(-2), [kb, n] = b.shape.slice(-2);
    const [M, KA] = tA ? [ka, m] : [m, ka], [KB, N] = tB ? [n, kb] : [kb, n];
    const t = (s: readonly Dim[], f: boolean) => (f ? `${shapeStr(s)}ᵀ` : shapeStr(s));
    if (KA !== KB) throw new GraphError(`BatchMatMul: inner dimensions differ: ${t(a.shape, tA)} · ${t(b.shape, tB)}`, src);
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
    if (!batch) throw new GraphError(`BatchMatMul: batch dims of ${shapeStr(a.shape)} and ${shapeStr(b.shape)} do not broadcast`, src);
    return { shape: [...batch, M, N] as Dim[], dtype: 'f32' };
  },
  kernel: (ctx) => batchMatmulKernel(ctx.inShapes[0], ctx.inShapes[1], ctx.outShape, ...flags(ctx), ctx.precision),
  grad(n, g) {
    const [a, b] = n.inputs;
    const [tA, tB] = flags(n);
    const dA = tA ? B.batchMatmul(b, g, tB, true) : B.batchMatmul(g, b, false, !tB);
    const dB = tB ? B.batchMatmul(g, a, true, tA) : B.batchMatmul(a, g, !tA, false);
    return [B.sumTo(dA, a.shape), B.sumTo(dB, b.shape)];
  },
  // a transposed operand as a Transpose of its last two axes before ONNX's MatMul
  onnx(e, n, ins) {
    const [tA, tB] = flags(n);
    const op = (x: string, k: number, t: boolean) => (t ? e.op('Transpose', [x], { perm: swapLastPerm(n.inputs[k].shape.length) }) : x);
    return e.op('MatMul', [op(ins[0], 0, tA), op(ins[1], 1, tB)]);
  },
  showAttrs: (a) => [a.transA && 'transA', a.transB && 'transB'].filter(Boolean).join(' '),
});
