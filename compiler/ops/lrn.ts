/**
 * Local response normalization over the channels of x [N, C, D1, …] (ONNX's LRN, PyTorch's
 * nn.LocalResponseNorm; AlexNet's and GoogLeNet's):
 *   y[c] = x[c] / (bias + alpha/size · Σ_{i ∈ W(c)} x[i]²)^beta,   W(c) = [c − lead, c + size − 1 − lead] ∩ [0, C)
 * Attributes size, alpha, beta, bias and lead, the channels of the window before c. ONNX's window has
 * lead ⌊(size − 1)/2⌋; PyTorch's has ⌊size/2⌋ (its average pool pads size/2 channels before), the same for
 * an odd size and the mirror image for an even one, so the op takes both. The kernel sums the window in
 * float64; the op's expansion (the window's sums as a product with a 0/1 band matrix over the channels)
 * gives its gradient and, where onnxruntime has no LRN for it, its export (expansion.ts).
 */
import { defineOp, onnxFloat, onnxOperand, onnxRule, UnsupportedError, type OnnxEmit } from './op.ts';
import type { Attrs, Node } from '../ir/node.ts';
import { shapeStr } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import * as B from '../ir/build.ts';
import { expansionGrad, expansionOnnx } from './expansion.ts';

/** The lead of ONNX's window of `size` channels. */
export const onnxLead = (size: number): number => Math.floor((size - 1) / 2);
/** The lead of PyTorch's window of `size` channels. */
export const torchLead = (size: number): number => Math.floor(size / 2);

interface LrnAttrs { size: number; alpha: number; beta: number; bias: number; lead: number }
const attrsOf = (a: Attrs): LrnAttrs => a as unknown as LrnAttrs;

/** The product band[i][c] = 1 where channel i is in c's window: S = xᵀ-on-channels · band. */
function band(C: number, size: number, lead: number): Node {
  const v = new Float32Array(C * C);
  for (let c = 0; c < C; c++) for (let i = Math.max(0, c - lead); i <= Math.min(C - 1, c + size - 1 - lead); i++) v[i * C + c] = 1;
  return B.constant(v, [C, C]);
}

/** LRN as the ops it stands for: x·(bias + alpha/size·S)^(−beta), S the window sums of x² (a product over the channel axis). */
function expand(n: Node): Node {
  const x = n.inputs[0], { size, alpha, beta, bias, lead } = attrsOf(n.attrs), r = x.shape.length;
  const last = [0, ...Array.from({ length: r - 2 }, (_, k) => k + 2), 1], back = [0, r - 1, ...Array.from({ length: r - 2 }, (_, k) => k + 1)];
  const sums = B.transpose(B.mk('BatchMatMul', [B.transpose(B.mul(x, x), last), band(x.shape[1] as number, size, lead)]), back);
  return B.mul(x, B.mk('Pow', [B.add(B.mul(sums, alpha / size), bias), B.scalar(-beta)]));
}

/**
 * ONNX's LRN where onnxruntime runs it (x [N, C, H, W], an odd size: the two windows agree); else the
 * expansion's ops, since onnxruntime refuses an even size and other ranks (which the spec allows).
 */
function exportLrn(e: OnnxEmit, n: Node, x: string): string {
  const { size, alpha, beta, bias } = attrsOf(n.attrs);
  if (n.shape.length !== 4 || size % 2 === 0) return expansionOnnx(e, expand(n), n.inputs, [x]);
  return e.op('LRN', [x], { size, alpha: onnxFloat(alpha), beta: onnxFloat(beta), bias: onnxFloat(bias) });
}

defineOp({
  name: 'LRN',
  dsl: { fn: 'localResponseNorm' },
  arity: 1,
  infer([x], a, src) {
    const { size, lead } = attrsOf(a);
    if (x.shape.length < 3 || typeof x.shape[1] !== 'number') throw new GraphError(`LRN: expects x [N, C, D1, …] with a static C, got ${shapeStr(x.shape)}`, src);
    if (!Number.isSafeInteger(size) || size < 1) throw new GraphError(`LRN: size ${size} (a positive integer expected)`, src);
    if (lead !== onnxLead(size) && lead !== torchLead(size)) throw new GraphError(`LRN: a window of ${size} channels leads by ${onnxLead(size)} (ONNX) or ${torchLead(size)} (PyTorch), not ${lead}`, src);
    return { shape: x.shape, dtype: x.dtype };
  },
  kernel(ctx) {
    const [N, C] = ctx.inShapes[0], P = ctx.inShapes[0].slice(2).reduce((p, d) => p * d, 1);
    const { size, alpha, beta, bias, lead } = attrsOf(ctx.attrs), k = alpha / size;
    return (ins, out) => {
      const x = ins[0];
      for (let n = 0; n < N; n++)
        for (let c = 0; c < C; c++) {
          const lo = Math.max(0, c - lead), hi = Math.min(C - 1, c + size - 1 - lead), o = (n * C + c) * P;
          for (let p = 0; p < P; p++) {
            let s = 0;
            for (let i = lo; i <= hi; i++) { const v = x[(n * C + i) * P + p]; s += v * v; }
            out[o + p] = x[o + p] / Math.pow(bias + k * s, beta);
          }
        }
    };
  },
  grad: (n, g) => expansionGrad(expand(n), n.inputs, g),
  onnx: (e, n, ins) => exportLrn(e, n, ins[0]),
  onnxImport: {
    LRN: onnxRule([1, 13], (c) => {
      const size = c.attrInt('size', 0);
      if (!Number.isSafeInteger(size) || size < 1) throw new UnsupportedError(`attribute 'size' ${size} (a positive integer expected; it has no default)`);
      const x = onnxOperand(c, 0);
      if (x.shape.length < 3) throw new UnsupportedError(`X of shape ${shapeStr(x.shape)} (LRN normalizes over axis 1 of [N, C, D1, …])`);
      return B.mk('LRN', [x], { size, alpha: c.attrFloat('alpha', 1e-4), beta: c.attrFloat('beta', 0.75), bias: c.attrFloat('bias', 1), lead: onnxLead(size) });
    }),
  },
  showAttrs: (a) => `size=${a.size} alpha=${a.alpha} beta=${a.beta} bias=${a.bias}${a.lead === onnxLead(a.size as number) ? '' : ` lead=${a.lead}`}`,
});
