/**
 * Binary cross-entropy on logits, averaged: the numerically stable fused form of BCE(sigmoid(z), y).
 *   loss = mean( max(z, 0) - z·y + log(1 + exp(-|z|)) )
 * It carries its own gradient, (sigmoid(z) - y) / N for z (and -z / N for y): differentiating the formula
 * through |z| and max(z, 0) would be wrong at z = 0, and the unfused form saturates for large |z|.
 * (The same formula and gradient as PyTorch's binary_cross_entropy_with_logits with reduction 'mean'.)
 */
import { defineOp } from '../ir/registry.ts';
import { shapeStr, sameShape } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import * as B from '../ir/build.ts';
import type { Kernel } from '../ir/op.ts';
import { heap } from '../../runtime/heap.ts';
import { bceSum } from '../../runtime/wasm/losses.ts';
import { SIMD_MIN_ELEMENTS } from '../../runtime/wasm/elementwise.ts';

/** The loss in plain JS, float64 throughout (the reference, and the path outside the heap). */
const bceJs: Kernel = (ins, out) => {
  const z = ins[0], y = ins[1];
  let s = 0;
  const n = z.length;
  for (let i = 0; i < n; i++) {
    const v = z[i];
    s += (v > 0 ? v : 0) - v * y[i] + Math.log1p(Math.exp(-Math.abs(v)));
  }
  out[0] = s / n;
};

defineOp({
  name: 'BCEWithLogits',
  arity: 2,
  traits: { fused: true },
  infer([z, y], _a, src) {
    if (!sameShape(z.shape, y.shape))
      throw new GraphError(`BCEWithLogits: logits ${shapeStr(z.shape)} and target ${shapeStr(y.shape)} must have the same shape`, src);
    return { shape: [], dtype: 'f32' };
  },
  kernel(ctx) {
    // float32 plans, in the heap: whole vectors in WebAssembly SIMD (float32 exp and log1p, float64 sum)
    const h = heap();
    const n = ctx.inShapes[0].reduce((a, b) => a * b, 1);
    const f = h && ctx.precision === 'f32' && n >= SIMD_MIN_ELEMENTS ? bceSum(h.memory) : null;
    if (!h || !f) return bceJs;
    const n4 = n - (n % 4);
    const kernel: Kernel = (ins, out) => {
      const z = ins[0], y = ins[1];
      if (!(h.owns(z) && h.owns(y))) return bceJs(ins, out);
      f(z.byteOffset, y.byteOffset, n4 * 4, acc.byteOffset);
      let s = acc[0] + acc[1];
      for (let i = n4; i < n; i++) {
        const v = z[i];
        s += (v > 0 ? v : 0) - v * y[i] + Math.log1p(Math.exp(-Math.abs(v)));
      }
      out[0] = s / n;
    };
    const region = h.alloc(4, kernel);
    const acc = new Float64Array(region.buffer, region.byteOffset, 2);
    return kernel;
  },
  grad(n, g) {
    const [z, y] = n.inputs;
    const N = B.sizeOf(z);
    return [B.div(B.mul(g, B.sub(B.sigmoid(z), y)), N), B.div(B.mul(g, B.neg(z)), N)];
  },
  onnx(e, _n, [z, y]) {
    // Relu(z) - z*y + Softplus(-|z|), averaged: standard ai.onnx ops only.
    const softplus = e.op('Softplus', [e.op('Neg', [e.op('Abs', [z])])]);
    const terms = e.op('Add', [e.op('Sub', [e.op('Relu', [z]), e.op('Mul', [z, y])]), softplus]);
    return e.op('ReduceMean', [terms], { keepdims: 0 });
  },
});
