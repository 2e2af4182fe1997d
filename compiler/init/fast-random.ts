/**
 * Seeded random numbers for synthetic data sets, fast rather than PyTorch's (torch-random.ts reproduces
 * PyTorch's streams for parameters, at tens of nanoseconds a normal value). A data set of millions
 * of values needs a few nanoseconds a value: xoshiro128** (four 32-bit words of state, period 2^128 − 1)
 * for the bits, and the ziggurat method (128 strips) for normal values, which most of the time costs one
 * draw, a table lookup, a compare and a multiply. Plain TypeScript (runs in a browser).
 *
 * Each normal takes 7 bits of its draw for the strip and the other 25 (a sign and 24 bits) for the value,
 * so the strip and the value are independent. The tail beyond the last strip's edge is sampled by
 * Marsaglia's exponential method; the wedges by rejection against exp(−x²/2).
 */

const STRIPS = 128;
/** The right edge of the base strip, and the area of each strip (Marsaglia and Tsang, 2000). */
const R = 3.442619855899;
const AREA = 9.91256303526217e-3;
/** The value's 24 bits and sign: |h| < 2^24. */
const SCALE = 2 ** 24;

// k[i]: |h| below it accepts at once; w[i]: h to x; f[i]: exp(−x_i²/2) at the strip's edge
const K = new Int32Array(STRIPS);
const W = new Float64Array(STRIPS);
const F = new Float64Array(STRIPS);
{
  const ff = (x: number) => Math.exp(-0.5 * x * x);
  let d = R, t = R;
  const q = AREA / ff(d);
  K[0] = Math.floor((d / q) * SCALE);
  K[1] = 0;
  W[0] = q / SCALE;
  W[STRIPS - 1] = d / SCALE;
  F[0] = 1;
  F[STRIPS - 1] = ff(d);
  for (let i = STRIPS - 2; i >= 1; i--) {
    d = Math.sqrt(-2 * Math.log(AREA / d + ff(d)));
    K[i + 1] = Math.floor((d / t) * SCALE);
    t = d;
    F[i] = ff(d);
    W[i] = d / SCALE;
  }
}

export class FastRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    // splitmix32 spreads the seed over the state (never all zero)
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      return (z ^ (z >>> 15)) | 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** 32 random bits, as a signed integer (xoshiro128**). */
  bits(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9);
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }

  /** A uniform value in [0, 1) (32 bits). */
  uniform01(): number {
    return (this.bits() >>> 0) * 2 ** -32;
  }

  /** One standard normal value. */
  normal01(): number {
    const u = this.bits();
    const i = u & (STRIPS - 1);
    const h = u >> 7;
    if ((h < 0 ? -h : h) < K[i]) return h * W[i];
    return this.slow(h, i);
  }

  private slow(h: number, i: number): number {
    for (;;) {
      const x = h * W[i];
      if (i === 0) {
        // the tail beyond R
        let t, y;
        do {
          t = -Math.log(1 - this.uniform01()) / R;
          y = -Math.log(1 - this.uniform01());
        } while (y + y < t * t);
        return h > 0 ? R + t : -R - t;
      }
      if (F[i] + this.uniform01() * (F[i - 1] - F[i]) < Math.exp(-0.5 * x * x)) return x;
      const u = this.bits();
      i = u & (STRIPS - 1);
      h = u >> 7;
      if ((h < 0 ? -h : h) < K[i]) return h * W[i];
    }
  }

  /** `n` float32 values ~ N(mean, std²). */
  normal(n: number, mean = 0, std = 1): Float32Array {
    const out = new Float32Array(n);
    // normal01 with the generator's state in locals: the common case is one draw, no call
    let a = this.a, b = this.b, c = this.c, d = this.d;
    for (let j = 0; j < n; j++) {
      const u = Math.imul(rotl(Math.imul(b, 5), 7), 9);
      const t = b << 9;
      c ^= a;
      d ^= b;
      b ^= c;
      a ^= d;
      c ^= t;
      d = (d << 11) | (d >>> 21);
      const i = u & (STRIPS - 1);
      const h = u >> 7;
      if ((h < 0 ? -h : h) < K[i]) out[j] = h * W[i] * std + mean;
      else {
        this.a = a, this.b = b, this.c = c, this.d = d;
        out[j] = this.slow(h, i) * std + mean;
        a = this.a, b = this.b, c = this.c, d = this.d;
      }
    }
    this.a = a, this.b = b, this.c = c, this.d = d;
    return out;
  }

  /** `n` integers uniform in 0 .. k − 1, as float32 values (class labels). */
  integers(n: number, k: number): Float32Array {
    const out = new Float32Array(n);
    for (let j = 0; j < n; j++) out[j] = Math.floor(this.uniform01() * k);
    return out;
  }
}

const rotl = (x: number, k: number) => (x << k) | (x >>> (32 - k));
