/**
 * The fused binary cross-entropy on logits in WebAssembly SIMD: Σ max(z,0) − z·y + log1p(e^(−|z|)) over
 * f32x4 lanes (exp and log1p from math.ts, float32 accuracy), the sum kept in float64 (two f64x2
 * accumulators), as the JS kernel sums in float64. `bceExp` is the same sum with e = e^(−|z|) given (the
 * share-exp pass computes it once for the loss and its gradient). The last n mod 4 terms are one more
 * vector, masked; the kernel divides by n and stores the mean.
 */
import { I32, V128, op, simd as I, type Func } from './asm.ts';
import { heapKernels } from './module.ts';
import { MATH_SCRATCH, expF32x4, log1pUnitF32x4 } from './math.ts';

const { promoteLow, f64x2Add } = I;
const F64_LANE = (l: number) => [0xfd, 0x21, l]; // f64x2.extract_lane
// lanes 2 and 3 of a f32x4 moved to lanes 0 and 1
const highHalf = I.lanes([2, 3, 2, 3]);

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
  const P = withExp ? { z: 0, y: 1, e: 2, nb: 3, mask: 4, out: 5, n: 6 } : { z: 0, y: 1, e: -1, nb: 2, mask: 3, out: 4, n: 5 };
  const params = withExp ? 7 : 6;
  const L = { i: params, lo: params + 1, hi: params + 2, first: params + 3 };
  const perCopy = 3 + MATH_SCRATCH; // z, u, term, scratch
  const loc = (c: number, j: number) => L.first + c * perCopy + j;
  const b: number[] = [];
  const emit = (...xs: number[][]) => xs.forEach((x) => b.push(...x));
  const vector = (c: number, masked = false) => {
    const [z, u, t] = [loc(c, 0), loc(c, 1), loc(c, 2)];
    const scratch = Array.from({ length: MATH_SCRATCH }, (_, k) => loc(c, 3 + k));
    emit(op.get(P.z), op.get(L.i), op.add, op.v128Load(16 * c), op.set(z));
    // u = e^(−|z|), then the term max(z, 0) − z·y + log1p(u), max as the JS rule: z > 0 ? z : 0
    if (withExp) emit(op.get(P.e), op.get(L.i), op.add, op.v128Load(16 * c), op.set(u));
    else emit(op.get(z), I.abs, I.neg, op.set(u), expF32x4(u, scratch), op.set(u));
    emit(op.get(z), op.get(z), I.f32(0), I.gt, I.and);
    emit(op.get(z), op.get(P.y), op.get(L.i), op.add, op.v128Load(16 * c), I.mul, I.sub);
    emit(log1pUnitF32x4(u, scratch), I.add, op.set(t));
    if (masked) emit(op.get(t), op.get(P.mask), op.v128Load(0), I.and, op.set(t));
    emit(op.get(L.lo), op.get(t), promoteLow, f64x2Add, op.set(L.lo));
    emit(op.get(L.hi), op.get(t), op.get(t), highHalf, promoteLow, f64x2Add, op.set(L.hi));
  };
  emit(op.i32(0), op.set(L.i));
  emit(op.block, op.loop, op.get(L.i), op.i32(32), op.add, op.get(P.nb), [0x4a], op.brIf(1)); // i32.gt_s
  vector(0);
  vector(1);
  emit(op.get(L.i), op.i32(32), op.add, op.set(L.i), op.br(0), op.end, op.end);
  emit(op.block, op.loop, op.get(L.i), op.get(P.nb), op.geS, op.brIf(1));
  vector(0);
  emit(op.get(L.i), op.i32(16), op.add, op.set(L.i), op.br(0), op.end, op.end);
  emit(op.get(P.mask), op.if_);
  vector(0, true);
  emit(op.end);
  // out = (lane 0 + lane 1 of lo + hi) / n, rounded to float32
  emit(op.get(L.lo), op.get(L.hi), f64x2Add, op.set(L.lo));
  emit(op.get(P.out), op.get(L.lo), F64_LANE(0), op.get(L.lo), F64_LANE(1), [0xa0], op.get(P.n), [0xb7], [0xa3], [0xb6], op.f32Store(0)); // f64.add, f64.convert_i32_s, f64.div, f32.demote_f64
  return { name: withExp ? 'bceExp' : 'bce', params: Array(params).fill(I32), locals: [I32, V128, V128, ...Array(2 * perCopy).fill(V128)], body: b };
}

export interface LossKernels {
  readonly bce: (z: number, y: number, nb: number, mask: number, out: number, n: number) => void;
  readonly bceExp: (z: number, y: number, e: number, nb: number, mask: number, out: number, n: number) => void;
}

/** The kernels bound to a shared memory (the heap), or null where they cannot be compiled. */
export const lossKernels = heapKernels<LossKernels>(() => [bceKernel(false), bceKernel(true)]);
