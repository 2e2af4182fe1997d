/**
 * Matrix product of 2-D tensors, C = op(A)·op(B) with op = identity or transpose (attributes transA,
 * transB, as ONNX's Gemm has them), and the Transpose op. Gradients of C = op(A)·op(B), with G = dC:
 * d op(A) = G·op(B)ᵀ and d op(B) = op(A)ᵀ·G, written back through the transposes as products with
 * transposed operands, so that no Transpose node is needed. ONNX's MatMul of any rank is read onto it
 * (numpy's matmul: 1-D operands promoted, their axis dropped after), or onto BatchMatMul.
 */
import { defineOp, onnxOperand as need, onnxRule as rule } from './op.ts';
import { raise } from './onnx-read.ts';
import type { Node } from '../ir/node.ts';
import { shapeStr, type Dim } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import * as B from '../ir/build.ts';
import { matmulKernel } from '../../runtime/kernels/matmul.ts';
import { offsetMap, rowMajorStrides } from '../../runtime/kernels/strides.ts';

const flags = (n: { attrs: Node['attrs'] }) => [n.attrs.transA === true, n.attrs.transB === true] as const;
const mm = (a: Node, b: Node, transA: boolean, transB: boolean) => B.matmul(a, b, transA, transB);

/** MatMul of any rank (numpy matmul): 1-D operands promoted and their axis dropped after. */
const matmulImport = rule([1, 9, 13], (c) => {
  let [a, b] = [need(c, 0), need(c, 1)];
  const [ra, rb] = [a.shape.length, b.shape.length];
  if (ra === 0 || rb === 0) raise('MatMul of a scalar');
  if (ra === 1) a = B.unsqueeze(a, [0]);
  if (rb === 1) b = B.unsqueeze(b, [1]);
  let y: Node;
  if (a.shape.length === 2 && b.shape.length === 2) y = B.matmul(a, b);
  else if (b.shape.length === 2 && a.shape.slice(0, -2).every((d) => typeof d === 'number') && typeof a.shape[a.shape.length - 2] === 'number') {
    // [..., M, K]·[K, N]: one product through the 2-D kernel
    const lead = a.shape.slice(0, -1) as number[];
    const rows = lead.reduce((p, d) => p * d, 1);
    y = B.reshape(B.matmul(B.reshape(a, [rows, a.shape[a.shape.length - 1]]), b), [...lead, b.shape[1]]);
  } else y = B.mk('BatchMatMul', [a, b]);
  if (rb === 1) y = B.reshape(y, y.shape.slice(0, -1));
  if (ra === 1) y = B.reshape(y, [...y.shape.slice(0, -2), y.shape[y.shape.length - 1]]);
  return y;
});

defineOp({
  name: 'MatMul',
  dsl: { method: 'matmul' },
  arity: 2,
  infer([a, b], attrs, src) {
    if (a.shape.length !== 2 || b.shape.length !== 2)
      throw new GraphError(`MatMul: expects 2-D operands, got ${shapeStr(a.shape)} · ${shapeStr(b.shape)}`, src);
    const [tA, tB] = flags({ attrs });
    const [m, ka]: Dim[] = tA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
    const [kb, n]: Dim[] = tB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
    const t = (s: readonly Dim[], f: boolean) => (f ? `${shapeStr(s)}ᵀ` : shapeStr(s));
    if (ka !== kb) throw new GraphError(`MatMul: inner dimensions differ: ${t(a.shape, tA)} · ${t(b.shape, tB)} (${ka} ≠ ${kb})`, src);
    return { shape: [m, n], dtype: 'f32' };
  },
  kernel(ctx) {
    const [tA, tB] = flags(ctx);
    const [M, K] = tA ? [ctx.inShapes[0][1], ctx.inShapes[0][0]] : ctx.inShapes[0];
    return matmulKernel(M, K, ctx.outShape[1], tA, tB, ctx.precision);
  },
  grad(n, g) {
    const [a, b] = n.inputs;
    const [tA, tB] = flags(n);
    const dA = tA ? mm(b, g, tB, true) : mm(g, b, false, !tB);
    const dB = tB ? mm(g, a, true, tA) : mm(a, g, !tA, false);
    return [dA, dB];
  },
  onnx(e, n, ins) {
    const [tA, tB] = flags(n);
    if (!tA && !tB) return e.op('MatMul', ins);
    return e.op('Gemm', ins, { transA: tA ? 1 : 0, transB: tB ? 1 : 0 });
  },
  onnxImport: { MatMul: matmulImport },
  showAttrs: (a) => [a.transA && 'transA', a.transB && 'transB'].filter(Boolean).join(' '),
});

defineOp({
  name: 'Transpose',
  dsl: { method: 'transpose' },
  arity: 1,
  infer([a], attrs, src) {
    const perm = attrs.perm as number[];
    if (perm.length !== a.shape.length || [...perm].sort().some((p, i) => p !== i))
      throw new GraphError(`Transpose: perm [${perm}] is not a permutation of the axes of ${shapeStr(a.shape)}`, src);
    return { shape: perm.map((p) => a.shape[p]), dtype: a.dtype };
  },
  kernel(ctx) {
    const s = ctx.inShapes[0];
    const perm = ctx.attrs.perm as number[];
    if (s.length === 2 && perm[0] === 1) {
      const [r, c] = s;
      return (ins, out) => {
        const x = ins[0];
        for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = x[i * c + j];
      };
    }
    // general: each output position reads the input at its permuted strides
    const inStrides = rowMajorStrides(s);
    const map = offsetMap(perm.map((p) => s[p]), perm.map((p) => inStrides[p]));
    const n = map.length;
    return (ins, out) => { const x = ins[0]; for (let i = 0; i < n; i++) out[i] = x[map[i]]; };
  },
  grad: (n, g) => {
    const perm = n.attrs.perm as number[];
    const inv = perm.map((_, i) => perm.indexOf(i));
    return [B.transpose(g, inv)];
  },
  onnx: (e, n, ins) => e.op('Transpose', ins, { perm: n.attrs.perm as number[] }),
  // no perm: the axes reversed
  onnxImport: {
    Transpose: rule([1, 13, 21, 23, 24, 25], (c) => {
      const x = need(c, 0);
      return B.transpose(x, c.attrInts('perm') ?? [...x.shape.keys()].reverse());
    }),
  },
  showAttrs: (a) => `perm=[${a.perm}]`,
});
