/**
 * exp and log1p on f32x4 lanes, as WebAssembly SIMD instructions, for the kernels that need them
 * (sigmoid, exp, the fused BCE-with-logits loss). Float32 accuracy, a few ulps, not the float64 of
 * Math.exp: float32 plans only (float64 plans are the reference and keep Math.*).
 *
 * exp(x): Cody–Waite range reduction x = n·ln2 + r with ln2 split in two (0.693359375 exact in float32,
 * and −2.12194440e-4), |r| ≤ ln2/2, then e^r ≈ 1 + r + r²·P(r) with the degree-5 minimax coefficients of
 * the Cephes library's expf (P evaluated by Estrin's scheme, for a shorter dependency chain), and 2^n built in the exponent bits as two factors 2^⌊n/2⌋·2^(n−⌊n/2⌋), so that
 * overflow gives +Infinity and underflow goes gradually to 0 (x is first clamped to [−104, 89]).
 * log1p(u) for u in [0, 1] (all BCE needs): with x = u when u < √2−1 (no rounding of 1+u: tiny u give u),
 * else x = (u−1)/2 and one ln2 added; then log(1+x) ≈ x − x²/2 + x³·Q(x) with the degree-8 coefficients
 * of Cephes's logf, on its interval [√½−1, √2−1].
 * Sources: S. L. Moshier, Cephes Math Library (expf.c, logf.c): the reduction constants and coefficients.
 */
import { op, simd as I } from './asm.ts';
import { hasRelaxedSimd } from './module.ts';

const { f32, i32 } = I;

const EXP_P = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
const LOG_Q = [7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1];

/** Horner's rule for coefficients c (highest degree first) in the local `x`; leaves the value on the stack. */
function horner(c: readonly number[], x: number): number[] {
  const b = [...f32(c[0])];
  for (const k of c.slice(1)) b.push(...op.get(x), ...I.mul, ...f32(k), ...I.add);
  return b;
}

/**
 * a·b + c: with three operands, each pushed by its instructions; with two (b, c), a is the value already
 * on the stack. One relaxed multiply-add where the engine has relaxed SIMD (fused on machines with FMA:
 * the polynomial's ten operations become five, with fewer roundings), else a multiply and an add.
 */
function madd(...xs: number[][]): number[] {
  const [a, b, c] = xs.length === 3 ? xs : [[], ...xs];
  return hasRelaxedSimd() ? [...a, ...b, ...c, ...op.f32x4RelaxedMadd] : [...a, ...b, ...I.mul, ...c, ...I.add];
}

/** e^x for the f32x4 in local `x`, using four scratch locals; leaves the result on the stack. */
export function expF32x4(x: number, t: readonly number[]): number[] {
  const [r, n, p, h] = t;
  const [p0, p1, p2, p3, p4, p5] = EXP_P;
  return [
    // r = clamp(x) (pmin/pmax: NaN passes through); n = round(r·log2 e) by adding 1.5·2^23 (the sum's
    // low bits are then the integer); r −= n·ln2 (in two parts)
    ...op.get(x), ...f32(89), ...I.pmin, ...f32(-104), ...I.pmax, ...op.set(r),
    ...op.get(r), ...f32(Math.LOG2E), ...I.mul, ...f32(ROUND), ...I.add, ...op.set(h),
    ...op.get(h), ...f32(ROUND), ...I.sub, ...op.set(n),
    ...op.get(r), ...op.get(n), ...f32(0.693359375), ...I.mul, ...I.sub,
    ...op.get(n), ...f32(-2.12194440e-4), ...I.mul, ...I.sub, ...op.set(r),
    // P(r) by Estrin's scheme ((p0·r + p1)·r² + (p2·r + p3))·r² + (p4·r + p5), then p = P(r)·r² + r + 1
    ...op.get(r), ...op.get(r), ...I.mul, ...op.set(p),
    ...madd(f32(p0), op.get(r), f32(p1)),
    ...madd(op.get(p), madd(f32(p2), op.get(r), f32(p3))),
    ...madd(op.get(p), madd(f32(p4), op.get(r), f32(p5))),
    ...madd(op.get(p), op.get(r)), ...f32(1), ...I.add, ...op.set(p),
    // the integer n from the rounding sum's bits; 2^n as 2^k · 2^(n−k), k = n >> 1
    ...op.get(h), ...i32(ROUND_BITS), ...I.iSub, ...op.set(n),
    ...op.get(n), ...op.i32(1), ...I.iShrS, ...op.set(h),
    ...op.get(n), ...op.get(h), ...I.iSub, ...op.set(n),
    ...op.get(p),
    ...op.get(h), ...i32(127), ...I.iAdd, ...op.i32(23), ...I.iShl, ...I.mul,
    ...op.get(n), ...i32(127), ...I.iAdd, ...op.i32(23), ...I.iShl, ...I.mul,
  ];
}

/** 1.5·2^23: adding it to |v| < 2^22 rounds v to an integer (to nearest, ties to even) held in the low bits. */
const ROUND = 12582912;
const ROUND_BITS = new Int32Array(new Float32Array([ROUND]).buffer)[0];

/** log(1+u) for the f32x4 in local `u`, each lane in [0, 1], using five scratch locals; result on the stack. */
export function log1pUnitF32x4(u: number, t: readonly number[]): number[] {
  const [big, x, e, z, y] = t;
  return [
    ...op.get(u), ...f32(Math.SQRT2 - 1), ...I.ge, ...op.set(big),
    // x = big ? (u − 1)/2 : u ; e = big ? 1 : 0
    ...op.get(u), ...f32(1), ...I.sub, ...f32(0.5), ...I.mul, ...op.get(u), ...op.get(big), ...I.bitselect, ...op.set(x),
    ...op.get(big), ...f32(1), ...I.and, ...op.set(e),
    ...op.get(x), ...op.get(x), ...I.mul, ...op.set(z),
    // y = x·z·Q(x) + e·(−2.12194440e-4) − z/2
    ...horner(LOG_Q, x), ...op.get(x), ...I.mul, ...op.get(z), ...I.mul,
    ...op.get(e), ...f32(-2.12194440e-4), ...I.mul, ...I.add,
    ...op.get(z), ...f32(0.5), ...I.mul, ...I.sub, ...op.set(y),
    // x + y + e·0.693359375
    ...op.get(x), ...op.get(y), ...I.add, ...op.get(e), ...f32(0.693359375), ...I.mul, ...I.add,
  ];
}

/** Scratch locals `expF32x4` and `log1pUnitF32x4` need. */
export const MATH_SCRATCH = 5;
