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
import type { FunctionBuilder, Local } from './builder.ts';
import { hasRelaxedSimd } from './module.ts';

const EXP_P = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
const LOG_Q = [7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1];

/** Horner's rule for coefficients c (highest degree first) in the local `x`; leaves the value on the stack. */
function horner(f: FunctionBuilder, c: readonly number[], x: Local): void {
  f.f32x4(c[0]);
  for (const k of c.slice(1)) f.get(x).op('f32x4.mul').f32x4(k).op('f32x4.add');
}

type Push = () => unknown;
/**
 * a·b + c: with three operands, each pushed by its function; with two (b, c), a is the value already
 * on the stack. One relaxed multiply-add where the engine has relaxed SIMD (fused on machines with FMA:
 * the polynomial's ten operations become five, with fewer roundings), else a multiply and an add.
 */
function madd(f: FunctionBuilder, ...xs: Push[]): void {
  const [a, b, c] = xs.length === 3 ? xs : [() => {}, ...xs];
  a();
  b();
  if (hasRelaxedSimd()) {
    c();
    f.op('f32x4.relaxed_madd');
  } else {
    f.op('f32x4.mul');
    c();
    f.op('f32x4.add');
  }
}

/** e^x for the f32x4 in local `x`, using four scratch locals; leaves the result on the stack. */
export function expF32x4(f: FunctionBuilder, x: Local, t: readonly Local[]): void {
  const [r, n, p, h] = t;
  const [p0, p1, p2, p3, p4, p5] = EXP_P;
  const c = (k: number) => () => f.f32x4(k), get = (l: Local) => () => f.get(l);
  // r = clamp(x) (pmin/pmax: NaN passes through); n = round(r·log2 e) by adding 1.5·2^23 (the sum's
  // low bits are then the integer); r −= n·ln2 (in two parts)
  f.get(x).f32x4(89).op('f32x4.pmin').f32x4(-104).op('f32x4.pmax').set(r);
  f.get(r).f32x4(Math.LOG2E).op('f32x4.mul').f32x4(ROUND).op('f32x4.add').set(h);
  f.get(h).f32x4(ROUND).op('f32x4.sub').set(n);
  f.get(r, n).f32x4(0.693359375).op('f32x4.mul').op('f32x4.sub');
  f.get(n).f32x4(-2.12194440e-4).op('f32x4.mul').op('f32x4.sub').set(r);
  // P(r) by Estrin's scheme ((p0·r + p1)·r² + (p2·r + p3))·r² + (p4·r + p5), then p = P(r)·r² + r + 1
  f.get(r, r).op('f32x4.mul').set(p);
  madd(f, c(p0), get(r), c(p1));
  madd(f, get(p), () => madd(f, c(p2), get(r), c(p3)));
  madd(f, get(p), () => madd(f, c(p4), get(r), c(p5)));
  madd(f, get(p), get(r));
  f.f32x4(1).op('f32x4.add').set(p);
  // the integer n from the rounding sum's bits; 2^n as 2^k · 2^(n−k), k = n >> 1
  f.get(h).i32x4(ROUND_BITS).op('i32x4.sub').set(n);
  f.get(n).i32(1).op('i32x4.shr_s').set(h);
  f.get(n, h).op('i32x4.sub').set(n);
  f.get(p);
  f.get(h).i32x4(127).op('i32x4.add').i32(23).op('i32x4.shl').op('f32x4.mul');
  f.get(n).i32x4(127).op('i32x4.add').i32(23).op('i32x4.shl').op('f32x4.mul');
}

/** 1.5·2^23: adding it to |v| < 2^22 rounds v to an integer (to nearest, ties to even) held in the low bits. */
const ROUND = 12582912;
const ROUND_BITS = new Int32Array(new Float32Array([ROUND]).buffer)[0];

/** log(1+u) for the f32x4 in local `u`, each lane in [0, 1], using five scratch locals; result on the stack. */
export function log1pUnitF32x4(f: FunctionBuilder, u: Local, t: readonly Local[]): void {
  const [big, x, e, z, y] = t;
  f.get(u).f32x4(Math.SQRT2 - 1).op('f32x4.ge').set(big);
  // x = big ? (u − 1)/2 : u ; e = big ? 1 : 0
  f.get(u).f32x4(1).op('f32x4.sub').f32x4(0.5).op('f32x4.mul').get(u, big).op('v128.bitselect').set(x);
  f.get(big).f32x4(1).op('v128.and').set(e);
  f.get(x, x).op('f32x4.mul').set(z);
  // y = x·z·Q(x) + e·(−2.12194440e-4) − z/2
  horner(f, LOG_Q, x);
  f.get(x).op('f32x4.mul').get(z).op('f32x4.mul');
  f.get(e).f32x4(-2.12194440e-4).op('f32x4.mul').op('f32x4.add');
  f.get(z).f32x4(0.5).op('f32x4.mul').op('f32x4.sub').set(y);
  // x + y + e·0.693359375
  f.get(x, y).op('f32x4.add').get(e).f32x4(0.693359375).op('f32x4.mul').op('f32x4.add');
}

/** Scratch locals `expF32x4` and `log1pUnitF32x4` need. */
export const MATH_SCRATCH = 5;
