/**
 * Binary cross-entropy on logits, averaged: the numerically stable fused form of BCE(sigmoid(z), y).
 *   loss = mean( max(z, 0) - z·y + log(1 + exp(-|z|)) )
 * It carries its own gradient, (sigmoid(z) - y) / N for z (and -z / N for y): differentiating the formula
 * through |z| and max(z, 0) would be wrong at z = 0, and the unfused form saturates for large |z|.
 * (The same formula and gradient as PyTorch's binary_cross_entropy_with_logits with reduction 'mean'.)
 */
import { defineOp } from './op.ts';
import { shapeStr, sameShape } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import * as B from '../ir/build.ts';
import type { Kernel } from '../../runtime/kernels/kernel.ts';
import { heap, type Heap } from '../../runtime/kernels/heap.ts';
import { lossKernels } from '../../runtime/kernels/wasm/losses.ts';
import { binaryOp } from './elementwise.ts';

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

/**
 * For the SIMD loss over n values: the bytes of whole vectors, and the address of the last vector's lane
 * mask in the heap (0 when n is a multiple of 4). Masks are shared by kernels of the same n mod 4.
 */
function lastVector(n: number, h: Heap): { nb: number; mask: number } {
  const r = n % 4;
  if (r === 0) return { nb: n * 4, mask: 0 };
  if (!masks[r]) {
    const m = h.alloc(4);
    new Int32Array(m.buffer, m.byteOffset, 4).set([0, 1, 2, 3].map((l) => (l < r ? -1 : 0)));
    masks[r] = m;
  }
  return { nb: (n - r) * 4, mask: masks[r]!.byteOffset };
}
const masks: (Float32Array | undefined)[] = [];

/**
 * The SIMD loss kernel `f` over the first `k` inputs (z, y, and for BCEWithLogitsExp e) of n values each,
 * where they and the output are in the heap (else `js`), with its WebAssembly entry (f's arguments: the
 * inputs' offsets, then nb, mask, out, n).
 */
function simdLoss(f: (...args: number[]) => void, k: 2 | 3, n: number, h: Heap, js: Kernel): Kernel {
  const { nb, mask } = lastVector(n, h);
  const resident = (ins: readonly Float32Array[], out: Float32Array) => h.owns(out) && h.owns(ins[0]) && h.owns(ins[1]) && (k === 2 || h.owns(ins[2]));
  const kernel: Kernel = (ins, out) => {
    if (!resident(ins, out)) return js(ins, out);
    if (k === 2) f(ins[0].byteOffset, ins[1].byteOffset, nb, mask, out.byteOffset, n);
    else f(ins[0].byteOffset, ins[1].byteOffset, ins[2].byteOffset, nb, mask, out.byteOffset, n);
  };
  const args = (ins: readonly Float32Array[], out: Float32Array) => (resident(ins, out) ? [...ins.slice(0, k).map((b) => b.byteOffset), nb, mask, out.byteOffset, n] : null);
  return Object.assign(kernel, { wasm: { fn: f, arity: k + 4, args } });
}

defineOp({
  name: 'BCEWithLogits',
  dsl: { internal: 'made by the fuse-sigmoid-bce pass from sigmoid then binaryCrossEntropy' },
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
    const f = h && ctx.precision === 'f32' ? (lossKernels(h.memory)?.bce ?? null) : null;
    if (!h || !f) return bceJs;
    return simdLoss(f as (...args: number[]) => void, 2, n, h, bceJs);
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

/*
 * The loss and its gradient share one exponential. Both need e = e^(−|z|) of the same logits: the loss for
 * log1p(e), the gradient's sigmoid(z) as 1/(1+e) (z ≥ 0) or e/(1+e) (z < 0). On a train-step graph, the
 * share-exp pass computes e once, as Exp(Neg(Abs(z))), and rewrites
 *   BCEWithLogits(z, y) -> BCEWithLogitsExp(z, y, e)      Sigmoid(z) -> SigmoidExp(z, e)
 * Given e = e^(−|z|) these are the same functions, and in float32 plans the same float32 operations as the
 * SIMD kernels of BCEWithLogits and Sigmoid, minus the second exp. As ops they are functions of all their
 * inputs, e included (their gradient rules treat e as an input of its own; the pass runs after autodiff, so
 * the train step's gradient still comes from BCEWithLogits's rule).
 */

/** z ≥ 0 ? 1/(1+e) : e/(1+e): sigmoid(z) when e = e^(−|z|) (no overflow for large −z). */
binaryOp('SigmoidExp', (z, e) => (z >= 0 ? 1 / (1 + e) : e / (1 + e)), (z, e) => `((${z} >= 0 ? 1 : ${e}) / (1 + ${e}))`, (n, g) => {
  const [z, e] = n.inputs;
  // ∂/∂z = 0 (piecewise constant in z), ∂/∂e = −1/(1+e)² for z ≥ 0, +1/(1+e)² below
  const sign = B.sub(1, B.mul(2, B.cast(B.mk('GreaterEqual', [z, B.scalar(0)]), 'f32')));
  const onePlus = B.add(1, e);
  return [null, B.sumTo(B.div(B.mul(g, sign), B.mul(onePlus, onePlus)), e.shape)];
}, 'SigmoidExp', {
  dsl: { internal: 'made by the share-exp pass' },
  traits: { fused: true },
  // as Sigmoid's rule after its exp: select(1, e, z >= 0) / (e + 1)
  simd: (f, z, e) => f.f32x4(1).get(e, z).f32x4(0).op('f32x4.ge').op('v128.bitselect').get(e).f32x4(1).op('f32x4.add').op('f32x4.div'),
  onnx: (em, _n, [z, e]) => {
    const one = em.constF32([1], []);
    const num = em.op('Where', [em.op('GreaterOrEqual', [z, em.constF32([0], [])]), one, e]);
    return em.op('Div', [num, em.op('Add', [one, e])]);
  },
});

/** mean(max(z, 0) − z·y + log1p(e)) in plain JS, float64 throughout (the reference, and the path outside the heap). */
const bceExpJs: Kernel = (ins, out) => {
  const z = ins[0], y = ins[1], e = ins[2];
  let s = 0;
  const n = z.length;
  for (let i = 0; i < n; i++) {
    const v = z[i];
    s += (v > 0 ? v : 0) - v * y[i] + Math.log1p(e[i]);
  }
  out[0] = s / n;
};

defineOp({
  name: 'BCEWithLogitsExp',
  dsl: { internal: 'made by the share-exp pass' },
  arity: 3,
  traits: { fused: true },
  infer([z, y, e], _a, src) {
    if (!sameShape(z.shape, y.shape) || !sameShape(z.shape, e.shape))
      throw new GraphError(`BCEWithLogitsExp: logits ${shapeStr(z.shape)}, target ${shapeStr(y.shape)} and e^(-|z|) ${shapeStr(e.shape)} must have the same shape`, src);
    return { shape: [], dtype: 'f32' };
  },
  kernel(ctx) {
    // float32 plans in the heap: one SIMD pass (float32 terms, the same operations as the BCEWithLogits
    // kernel with e read instead of computed, summed in float64)
    const h = heap();
    const n = ctx.inShapes[0].reduce((a, b) => a * b, 1);
    const f = h && ctx.precision === 'f32' ? (lossKernels(h.memory)?.bceExp ?? null) : null;
    if (!h || !f) return bceExpJs;
    return simdLoss(f as (...args: number[]) => void, 3, n, h, bceExpJs);
  },
  grad(n, g) {
    const [z, y, e] = n.inputs;
    const N = B.sizeOf(z);
    // max(z, 0)' = 1 − ge(0, z) (0 at 0, as Relu's rule); log1p(e)' = 1/(1+e)
    const relu1 = B.sub(1, B.cast(B.mk('GreaterEqual', [B.scalar(0), z]), 'f32'));
    return [B.div(B.mul(g, B.sub(relu1, y)), N), B.div(B.mul(g, B.neg(z)), N), B.div(B.div(g, B.add(1, e)), N)];
  },
  onnx(em, _n, [z, y, e]) {
    // Relu(z) − z·y + Log(1 + e), averaged (ai.onnx has no log1p: for tiny e, 1 + e rounds, an absolute error below 1e-7)
    const terms = em.op('Add', [em.op('Sub', [em.op('Relu', [z]), em.op('Mul', [z, y])]), em.op('Log', [em.op('Add', [em.constF32([1], []), e])])]);
    return em.op('ReduceMean', [terms], { keepdims: 0 });
  },
});
