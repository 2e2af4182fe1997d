/** Matrix product of 2-D tensors, and the transpose its gradient needs. */
import { defineOp } from '../ir/registry.ts';
import { shapeStr } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import * as B from '../ir/build.ts';
import { matmulKernel } from '../../runtime/kernels/matmul.ts';

defineOp({
  name: 'MatMul',
  arity: 2,
  infer([a, b], _attrs, src) {
    if (a.shape.length !== 2 || b.shape.length !== 2)
      throw new GraphError(`MatMul: expects 2-D operands, got ${shapeStr(a.shape)} · ${shapeStr(b.shape)}`, src);
    if (a.shape[1] !== b.shape[0])
      throw new GraphError(`MatMul: inner dimensions differ: ${shapeStr(a.shape)} · ${shapeStr(b.shape)} (${a.shape[1]} ≠ ${b.shape[0]})`, src);
    return { shape: [a.shape[0], b.shape[1]], dtype: 'f32' };
  },
  kernel: (ctx) => matmulKernel(ctx.inShapes[0][0], ctx.inShapes[0][1], ctx.inShapes[1][1]),
  // C = A·B: dA = G·Bᵀ, dB = Aᵀ·G
  grad: (n, g) => [B.matmul(g, B.transpose(n.inputs[1])), B.matmul(B.transpose(n.inputs[0]), g)],
  onnx: (e, _n, ins) => e.op('MatMul', ins),
});

defineOp({
  name: 'Transpose',
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
      return ([x], out) => {
        for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = x[i * c + j];
      };
    }
    // general: output index → input offset
    const rank = s.length;
    const inStrides = new Array<number>(rank);
    for (let d = rank - 1, st = 1; d >= 0; d--) { inStrides[d] = st; st *= s[d]; }
    const outShape = perm.map((p) => s[p]);
    const strides = perm.map((p) => inStrides[p]);
    const n = outShape.reduce((p, d) => p * d, 1);
    const map = new Int32Array(n);
    const idx = new Array<number>(rank).fill(0);
    for (let i = 0, off = 0; i < n; i++) {
      map[i] = off;
      for (let d = rank - 1; d >= 0; d--) {
        idx[d]++; off += strides[d];
        if (idx[d] < outShape[d]) break;
        off -= strides[d] * idx[d]; idx[d] = 0;
      }
    }
    return ([x], out) => { for (let i = 0; i < n; i++) out[i] = x[map[i]]; };
  },
  grad: (n, g) => {
    const perm = n.attrs.perm as number[];
    const inv = perm.map((_, i) => perm.indexOf(i));
    return [B.transpose(g, inv)];
  },
  onnx: (e, n, ins) => e.op('Transpose', ins, { perm: n.attrs.perm as number[] }),
  showAttrs: (a) => `perm=[${a.perm}]`,
});
