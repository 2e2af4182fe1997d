/**
 * The fused binary cross-entropy on logits in WebAssembly SIMD: Σ max(z,0) − z·y + log1p(e^(−|z|)) over
 * f32x4 lanes (exp and log1p from math.ts, float32 accuracy), the sum kept in float64 (two f64x2
 * accumulators), as the JS kernel sums in float64. `bceExp` is the same sum with e = e^(−|z|) given (the
 * share-exp pass computes it once for the loss and its gradient). The last n mod 4 terms are one more
 * vector, masked; the kernel divides by n and stores the mean.
 */
import type { Func } from './asm.ts';
import { FunctionBuilder } from './builder.ts';
import { heapKernels } from './module.ts';
import { MATH_SCRATCH, expF32x4, log1pUnitF32x4 } from './math.ts';

/**
 * bce(z, y, nb, mask, out, n): the mean of the terms of n values of z and y, stored as float32 at out;
 * nb is the bytes of whole vectors (4·(n − n mod 4)) and mask, where n mod 4 > 0, the address of the last
 * vector's lane mask (four i32, all ones for the lanes of real values; 0: no last vector). The last
 * vector reads past the n values, into the 16-byte padding every heap buffer has; its masked lanes add 0.
 * bceExp(z, y, e, nb, mask, out, n): the same, reading e^(−|z|) from e instead of computing it.
 * Two vectors per iteration in independent registers (the exp and log1p chains overlap), then the odd
 * one, then the last; the terms are float32, their sum float64, divided by n in float64.
 */
export function bceKernel(withExp: boolean): Func {
  const f = new FunctionBuilder(withExp ? 'bceExp' : 'bce', Array(withExp ? 7 : 6).fill('i32'));
  const [z0, y0] = f.params, e0 = withExp ? f.params[2] : null;
  const [nb, mask, out, n] = f.params.slice(withExp ? 3 : 2);
  const i = f.local('i32'), [lo, hi] = f.locals('v128', 2);
  const regs = [0, 1].map(() => ({ z: f.local('v128'), u: f.local('v128'), t: f.local('v128'), scratch: f.locals('v128', MATH_SCRATCH) }));
  const vector = (c: number, masked = false) => {
    const { z, u, t, scratch } = regs[c];
    f.get(z0, i).op('i32.add').op('v128.load', 16 * c).set(z);
    // u = e^(−|z|), then the term max(z, 0) − z·y + log1p(u), max as the JS rule: z > 0 ? z : 0
    if (e0) f.get(e0, i).op('i32.add').op('v128.load', 16 * c).set(u);
    else {
      f.get(z).op('f32x4.abs').op('f32x4.neg').set(u);
      expF32x4(f, u, scratch);
      f.set(u);
    }
    f.get(z, z).f32x4(0).op('f32x4.gt').op('v128.and');
    f.get(z, y0, i).op('i32.add').op('v128.load', 16 * c).op('f32x4.mul').op('f32x4.sub');
    log1pUnitF32x4(f, u, scratch);
    f.op('f32x4.add').set(t);
    if (masked) f.get(t, mask).op('v128.load', 0).op('v128.and').set(t);
    f.get(lo, t).op('f64x2.promote_low_f32x4').op('f64x2.add').set(lo);
    f.get(hi, t, t).lanes([2, 3, 2, 3]).op('f64x2.promote_low_f32x4').op('f64x2.add').set(hi);
  };
  f.i32(0).set(i);
  f.block().loop().get(i).i32(32).op('i32.add').get(nb).op('i32.gt_s').brIf(1);
  vector(0);
  vector(1);
  f.get(i).i32(32).op('i32.add').set(i).br(0).end().end();
  f.forUp(i, nb, 16, () => vector(0));
  f.get(mask).if();
  vector(0, true);
  f.end();
  // out = (lane 0 + lane 1 of lo + hi) / n, rounded to float32
  f.get(lo, hi).op('f64x2.add').set(lo);
  f.get(out, lo).op('f64x2.extract_lane', 0).get(lo).op('f64x2.extract_lane', 1).op('f64.add');
  f.get(n).op('f64.convert_i32_s').op('f64.div').op('f32.demote_f64').op('f32.store', 0);
  return f.func();
}

export interface LossKernels {
  readonly bce: (z: number, y: number, nb: number, mask: number, out: number, n: number) => void;
  readonly bceExp: (z: number, y: number, e: number, nb: number, mask: number, out: number, n: number) => void;
}

/** The kernels bound to a shared memory (the heap), or null where they cannot be compiled. */
export const lossKernels = heapKernels<LossKernels>(() => [bceKernel(false), bceKernel(true)]);
