/**
 * Trilu (ONNX's; PyTorch's triu and tril): the upper or lower triangle of each matrix of the last two axes,
 * the rest zeros. Attributes: upper (keep element (i, j) where j − i ≥ k; otherwise where j − i ≤ k) and
 * k, the diagonal (0 the main one, positive above it). A mask, so its gradient is the same Trilu of the
 * output's gradient.
 */
import { defineOp, onnxOperand, onnxRule, UnsupportedError } from './op.ts';
import type { Attrs } from '../ir/node.ts';
import { shapeStr } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import * as B from '../ir/build.ts';

defineOp({
  name: 'Trilu',
  dsl: { internal: 'read from ONNX files by the importer' },
  arity: 1,
  infer([x], a, src) {
    if (x.shape.length < 2) throw new GraphError(`Trilu: expects a matrix or a stack of them, got ${shapeStr(x.shape)}`, src);
    if (!Number.isInteger(a.k)) throw new GraphError(`Trilu: diagonal ${a.k} is not an integer`, src);
    return { shape: x.shape, dtype: x.dtype };
  },
  kernel(ctx) {
    const s = ctx.outShape, r = s.length, R = s[r - 2], C = s[r - 1];
    const mats = s.slice(0, -2).reduce((p, d) => p * d, 1), k = ctx.attrs.k as number, upper = ctx.attrs.upper === true;
    return (ins, out) => {
      const x = ins[0];
      for (let m = 0, o = 0; m < mats; m++)
        for (let i = 0; i < R; i++)
          for (let j = 0; j < C; j++, o++) out[o] = (upper ? j - i >= k : j - i <= k) ? x[o] : 0;
    };
  },
  grad: (n, g) => [B.mk('Trilu', [g], n.attrs)],
  onnx: (e, n, ins) => e.op('Trilu', [ins[0], e.constI64([n.attrs.k as number], [])], { upper: n.attrs.upper ? 1 : 0 }),
  onnxImport: {
    Trilu: onnxRule([14], (c) => {
      const upper = c.attrInt('upper', 1);
      if (upper !== 0 && upper !== 1) throw new UnsupportedError(`attribute 'upper' ${upper} (0 or 1 expected)`);
      const k = c.has(1) ? c.known(1, 'the diagonal k decides the mask') : [0];
      if (k.length !== 1 || !Number.isInteger(k[0])) throw new UnsupportedError(`k [${k}] (an integer scalar expected)`);
      return B.mk('Trilu', [onnxOperand(c, 0)], { upper: upper === 1, k: k[0] });
    }),
  },
  showAttrs: (a: Attrs) => `${a.upper ? 'upper' : 'lower'} k=${a.k}`,
});
