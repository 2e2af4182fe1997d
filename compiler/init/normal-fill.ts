/**
 * The Box-Muller step of PyTorch 1.13's `normal_fill` (native/cpu/DistributionTemplates.h): blocks of 16 raw
 * mt19937 draws become 16 normal values, for either CPU kernel. `normal_fill_16_AVX2` evaluates ln, sin
 * and cos with avx_mathfun's `log256_ps` and `sincos256_ps` (Cephes' single-precision polynomials) in float
 * arithmetic with the FMAs GCC contracts them into; the baseline `normal_fill_16` uses the C library's
 * logf, cosf and sinf (here Math.log, cos, sin rounded to float). torch-random.ts says which facts this
 * relies on.
 *
 * Two AVX2 kernels give the same floats: `boxMullerAvx2Exact` one value at a time, every FMA rounded by
 * fmaf; and the fast one, a loop generated once (as compiler/ops/math.ts generates erf) from the steps
 * below, with no call, branch or number object per value and four pairs' steps interleaved. It rounds
 * the double sum a·b + c to float for an FMA, which is fmaf's result at every step before the last for
 * each of the 2^24 uniforms that step can see (test/init/normal-fill.slow.test.ts runs them all), and
 * checks the last step, whose std and mean are the caller's. Plain TypeScript (runs in a browser).
 */

import { boxMullerSimd, type BoxMullerConstants } from './normal-fill-wasm.ts';

const f = Math.fround;

/** Float32 a·b + c rounded once (a fused multiply-add), for float32 inputs. */
export function fmaf(a: number, b: number, c: number): number {
  const p = a * b; // exact: two 24-bit significands fit in double's 53
  const s = p + c;
  const r = f(s);
  if (r === s) return r;
  // Rounding s (the double nearest p + c) instead of p + c differs only where s is halfway between two
  // floats (a halfway point between them would be a double nearer p + c): then r + 2(s − r) is a float.
  const other = r + 2 * (s - r);
  if (f(other) !== other) return r;
  const v = s - p; // TwoSum: s + err is exactly p + c
  const err = (p - (s - v)) + (c - v);
  if (err === 0) return r; // a true tie: fround's ties-to-even is the rule
  return (err > 0) === (other > r) ? other : r;
}

// avx_mathfun.h's constants (Cephes' single-precision logf and sinf/cosf), as float.
const SQRTHF = f(0.707106781186547524);
const LOG_P = [7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1,
  -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1].map(f);
const LOG_Q1 = f(-2.12194440e-4);
const LOG_Q2 = f(0.693359375);
const FOPI = f(1.27323954473516); // 4/π
const DP = [-0.78515625, -2.4187564849853515625e-4, -3.77489497744594108e-8].map(f);
const SIN_P = [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1].map(f);
const COS_P = [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2].map(f);
const TWO_PI_F = f(2 * Math.PI);
const U24 = 2 ** -24;
const CONSTANTS: BoxMullerConstants = { SQRTHF, LOG_P, LOG_Q1, LOG_Q2, FOPI, DP, SIN_P, COS_P, TWO_PI_F, U24 };

const bitsF = new Float32Array(1), bitsU = new Uint32Array(bitsF.buffer); // one float's bits

/** `log256_ps` for one lane, x > 0 (the Box-Muller argument is in [2^-24, 1]). */
function logAvx(x: number): number {
  bitsF[0] = x;
  const b = bitsU[0];
  let e = f((b >>> 23) - 127 + 1); // exponent with the significand taken in [0.5, 1)
  bitsU[0] = (b & ~0x7f800000) | 0x3f000000;
  let m = bitsF[0];
  if (m < SQRTHF) {
    e = f(e - 1);
    m = f(f(m - 1) + m);
  } else {
    m = f(m - 1);
  }
  const z = f(m * m);
  let y = LOG_P[0];
  for (let k = 1; k < 9; k++) y = fmaf(y, m, LOG_P[k]); // Horner steps, each one FMA
  y = f(y * m);
  y = fmaf(y, z, f(e * LOG_Q1)); // y·z + e·q1: GCC fuses the first product
  y = f(y - f(z * 0.5));
  return fmaf(e, LOG_Q2, f(m + y));
}

/** `sincos256_ps` for one lane, x ≥ 0 (θ ∈ [0, 2π)): sin x into out[0], cos x into out[1]. */
function sincosAvx(x: number, out: Float64Array): void {
  let j = Math.trunc(f(x * FOPI)); // octant
  j = (j + 1) & ~1;
  const y = j;
  // Extended-precision reduction x − j·π/4 (π/4 split into three floats)
  x = fmaf(y, DP[0], x);
  x = fmaf(y, DP[1], x);
  x = fmaf(y, DP[2], x);
  const z = f(x * x);
  let c = fmaf(COS_P[0], z, COS_P[1]);
  c = fmaf(c, z, COS_P[2]);
  c = f(c * z);
  c = fmaf(c, z, -f(z * 0.5)); // c·z − z/2: GCC fuses the first product
  c = f(c + 1);
  let s = fmaf(SIN_P[0], z, SIN_P[1]);
  s = fmaf(s, z, SIN_P[2]);
  s = f(s * z);
  s = fmaf(s, x, x);
  const swap = (j & 2) !== 0; // octants where sin and cos polynomials trade places
  const sin = swap ? c : s;
  const cos = swap ? s : c;
  out[0] = j & 4 ? -sin : sin;
  out[1] = ((j - 2) & 4) === 0 ? -cos : cos;
}
const sincos = new Float64Array(2); // sincosAvx's results

/**
 * `normal_fill_16_AVX2` one value at a time with fmaf (the reference the fast kernel below is checked
 * against, and its fallback): w[at ..] → d[to ..], `len` a multiple of 16.
 */
export function boxMullerAvx2Exact(w: Uint32Array, at: number, d: Float32Array, to: number, len: number, mean: number, std: number): void {
  for (let o = 0; o < len; o += 16)
    for (let j = o; j < o + 8; j++) {
      const r = f(Math.sqrt(f(-2 * logAvx(f(1 - (w[at + j] & 0xffffff) * U24)))));
      sincosAvx(f(TWO_PI_F * ((w[at + j + 8] & 0xffffff) * U24)), sincos);
      d[to + j] = fmaf(f(r * sincos[1]), std, mean);
      d[to + j + 8] = fmaf(f(r * sincos[0]), std, mean);
    }
}

/** A number as a JavaScript literal that reads back as the same double. */
const lit = (v: number) => `(${String(v)})`;

/**
 * `d = a·b + c` rounded once to float, for floats a, b, c, as the double sum rounded to float. That is not an
 * FMA in general (the double sum can land halfway between two floats where a·b + c is not), but it is at
 * each step that uses it, for all 2^24 uniforms (where such a sum is halfway, it is exact).
 */
const fma = (d: string, a: string, b: string, c: string) => `${d} = f(${a} * ${b} + ${c});`;

/** Where a double's low 32 bits are in a Float64Array's Int32Array view (0 on little-endian machines). */
const LOW = new Int32Array(new Float64Array([1 + 2 ** -52]).buffer)[0] === 1 ? 0 : 1;

/**
 * The last step, out = a·std + mean with the caller's std and mean: the double sum s rounded to float, and
 * tie$ = −1 where that may differ from the FMA: s is halfway between two floats (its low 29 bits are 1 and
 * then zeros, for a normal float) and not a·std + mean itself (TwoSum's error ≠ 0). The caller then
 * computes those draws again with fmaf. Written without a branch (a branch rarely taken would leave V8
 * without type feedback for it, and the first time it is taken would throw the optimized loop away).
 */
const fmaChecked = (d: string, a: string) => [
  `p$ = ${a} * std; s$ = p$ + mean; ${d} = f(s$); h$ = s$ - p$; B[0] = s$; B[1] = (p$ - (s$ - h$)) + (mean - h$);`,
  `n$ = (I[2 + ${1 - LOW}] & 0x7fffffff) | I[2 + ${LOW}]; tie$ |= ((((I[${LOW}] & 0x1fffffff) ^ 0x10000000) - 1) >> 31) & ((n$ | -n$) >> 31);`,
].join(' ');

/**
 * One pair of `normal_fill_16_AVX2`, elements J and J + 8 of a block, as statements over names suffixed with
 * the lane $. No branch: which case a value takes is data, and a mispredicted branch costs more than both
 * cases' arithmetic.
 */
const PAIR = [
  // log256_ps(1 − u): 1 − u = k·2^-24 with the integer k in [1, 2^24], so its exponent (frexp's, the
  // significand in [0.5, 1)) is k's bit length b − 24 and its significand g·2^-25 with g = k·2^(25 − b)
  'k$ = 0x1000000 - (w[at + J] & 0xffffff); b$ = 32 - Math.clz32(k$); g$ = k$ << (25 - b$);',
  // below √½ the significand doubles and the exponent drops by one: lo$ = 1 there, else 0
  `lo$ = (g$ - ${f(SQRTHF) * 2 ** 25}) >>> 31; e$ = b$ - 24 - lo$; m$ = g$ * ${2 ** -25}; m$ = f(f(m$ - 1) + lo$ * m$);`,
  'z$ = f(m$ * m$);',
  fma('y$', lit(LOG_P[0]), 'm$', lit(LOG_P[1])), // Horner steps, each one FMA
  ...LOG_P.slice(2).map((p) => fma('y$', 'y$', 'm$', lit(p))),
  'y$ = f(y$ * m$);',
  fma('y$', 'y$', 'z$', `f(e$ * ${lit(LOG_Q1)})`), // y·z + e·q1: GCC fuses the first product
  'y$ = f(y$ - f(z$ * 0.5));',
  fma('y$', 'e$', lit(LOG_Q2), 'f(m$ + y$)'),
  'y$ = f(Math.sqrt(f(-2 * y$)));', // the radius
  // sincos256_ps(2π·u) for the angle in [0, 2π): octant q, then x − q·π/4 (π/4 split into three floats)
  `x$ = f(${lit(TWO_PI_F)} * ((w[at + J + 8] & 0xffffff) * ${U24})); q$ = ((f(x$ * ${lit(FOPI)}) | 0) + 1) & ~1;`,
  ...DP.map((p) => fma('x$', 'q$', lit(p), 'x$')),
  'z$ = f(x$ * x$);',
  fma('c$', lit(COS_P[0]), 'z$', lit(COS_P[1])),
  fma('c$', 'c$', 'z$', lit(COS_P[2])),
  'c$ = f(c$ * z$);',
  fma('c$', 'c$', 'z$', '-f(z$ * 0.5)'), // c·z − z/2: GCC fuses the first product
  'c$ = f(c$ + 1);',
  fma('v$', lit(SIN_P[0]), 'z$', lit(SIN_P[1])),
  fma('v$', 'v$', 'z$', lit(SIN_P[2])),
  'v$ = f(v$ * z$);',
  fma('v$', 'v$', 'x$', 'x$'),
  // octants where the sine and cosine polynomials trade places (sw$ = 1), and the signs: a product by 0,
  // 1 or −1 is exact (and neither polynomial is −0), so these pick without a branch
  'sw$ = (q$ >> 1) & 1; x$ = (v$ * (1 - sw$) + c$ * sw$) * (1 - ((q$ & 4) >> 1)); c$ = (c$ * (1 - sw$) + v$ * sw$) * ((((q$ - 2) & 4) >> 1) - 1);',
  fmaChecked('d[to + J]', 'f(y$ * c$)'),
  fmaChecked('d[to + J + 8]', 'f(y$ * x$)'),
];

/** How many pairs one pass of the loop computes, their statements interleaved: independent work for the CPU. */
const LANES = 4;

const NAMES = ['p', 's', 'h', 'n', 'tie', 'k', 'b', 'g', 'lo', 'e', 'm', 'z', 'y', 'x', 'q', 'c', 'v', 'sw'];
const lanes = Array.from({ length: LANES }, (_, i) => i);
const SOURCE = `
  let ${lanes.map((l) => NAMES.map((n) => `${n}${l} = 0`).join(', ')).join(', ')};
  for (let o = 0; o < len; o += 16)
    for (let j = o; j < o + 8; j += ${LANES}) {
${PAIR.map((st) => lanes.map((l) => '      ' + st.replaceAll('$', String(l)).replaceAll('J', `j + ${l}`)).join('\n')).join('\n')}
    }
  return ${lanes.map((l) => `tie${l}`).join(' | ')};`;

/** fmaChecked's two doubles, and their bits. */
function scratch(): [Float64Array, Int32Array] {
  const b = new Float64Array(2);
  return [b, new Int32Array(b.buffer)];
}

type Kernel = (w: Uint32Array, at: number, d: Float32Array, to: number, len: number, mean: number, std: number) => number;

/**
 * The fast kernel: boxMullerAvx2Exact's results unless it returns nonzero (the last step's halfway case
 * met). Generated on first use; where the page's content security policy forbids generating code, the
 * exact kernel serves alone (same values, slower).
 */
let fastAvx2: Kernel | null | undefined;
function fastKernel(): Kernel | null {
  if (fastAvx2 === undefined) {
    try {
      fastAvx2 = new Function('f', 'B', 'I', `return function boxMullerAvx2(w, at, d, to, len, mean, std) {${SOURCE}
  };`)(f, ...scratch()) as Kernel;
    } catch {
      fastAvx2 = null;
    }
  }
  return fastAvx2;
}

/**
 * Where fastAvx2's halfway test holds: its last step's double sums are exact or normal floats. The value
 * a·1 it scales is 0 or at least 4·10^-12 in magnitude (a radius is 0 or ≥ 3.4·10^-4, a sine or cosine
 * 0 or ≥ 1.1·10^-8), and a sum of two terms that is not exact is at least half the larger one.
 */
const ordinary = (mean: number, std: number) =>
  Math.abs(mean) <= 2 ** 60 && (std === 0 || (Math.abs(std) >= 2 ** -60 && Math.abs(std) <= 2 ** 60));

/**
 * `normal_fill_16_AVX2` on len raw draws at w[at ..] (len a multiple of 16; u = the low 24 bits·2^-24) into
 * d[to ..]: element j of a block (radius √(−2 ln(1 − u_j))) pairs with element j + 8 (angle 2π·u_{j+8}).
 */
export function boxMullerAvx2(w: Uint32Array, at: number, d: Float32Array, to: number, len: number, mean: number, std: number): void {
  // in WebAssembly SIMD (normal-fill-wasm.ts: the fast kernel's steps, two pairs a vector), else the
  // fast kernel in JS
  const simd = ordinary(mean, std) ? boxMullerSimd(CONSTANTS, w, at, d, to, len, mean, std) : 1;
  if (simd === 0) return;
  if (simd < 0) boxMullerAvx2Js(w, at, d, to, len, mean, std);
  else boxMullerAvx2Exact(w, at, d, to, len, mean, std);
}

/** boxMullerAvx2 without WebAssembly: the fast kernel in JS where it can be generated. */
export function boxMullerAvx2Js(w: Uint32Array, at: number, d: Float32Array, to: number, len: number, mean: number, std: number): void {
  const fast = fastKernel();
  if (!fast || !ordinary(mean, std) || fast(w, at, d, to, len, mean, std) !== 0) boxMullerAvx2Exact(w, at, d, to, len, mean, std);
}

/** `normal_fill_16` (the baseline kernel), as boxMullerAvx2. */
export function boxMullerDefault(w: Uint32Array, at: number, d: Float32Array, to: number, len: number, mean: number, std: number): void {
  for (let o = 0; o < len; o += 16)
    for (let j = o; j < o + 8; j++) {
      const u1 = (w[at + j] & 0xffffff) * U24;
      const u2 = (w[at + j + 8] & 0xffffff) * U24;
      const r = f(Math.sqrt(f(-2 * f(Math.log(f(1 - u1))))));
      const theta = f(2 * Math.PI * u2); // 2.0f · π (double) · u2, then to float
      d[to + j] = f(f(f(r * f(Math.cos(theta))) * std) + mean);
      d[to + j + 8] = f(f(f(r * f(Math.sin(theta))) * std) + mean);
    }
}
