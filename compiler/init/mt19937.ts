/**
 * The 32-bit Mersenne Twister (Matsumoto & Nishimura 1998, the parameters of C++'s std::mt19937) as
 * PyTorch's CPU generator uses it. Plain TypeScript (no Node API), so it also runs in a browser.
 *
 * Facts relied on (PyTorch 1.13, ATen/core/MT19937RNGEngine.h `at::mt19937` and CPUGeneratorImpl):
 * - `manual_seed(s)` builds a fresh `at::mt19937(s)`. s is a uint64 (a negative Python int is taken modulo
 *   2^64), but only its low 32 bits seed the state: state[0] = s mod 2^32, then
 *   state[i] = 1812433253 · (state[i-1] xor (state[i-1] >> 30)) + i  (mod 2^32), for i = 1 .. 623.
 * - The state is regenerated (the standard twist, n = 624, m = 397, matrix 0x9908b0df) before the first
 *   draw and every 624 draws; each draw is tempered with the standard shifts and masks (11; 7, 0x9d2c5680;
 *   15, 0xefc60000; 18).
 * - `CPUGeneratorImpl::random()` is one draw; `random64()` is two draws joined with the FIRST draw as the
 *   high 32 bits (`detail::make64BitsFrom32Bits(hi, lo)` with hi = first, lo = second).
 * With the default seed 5489 the 10000th draw is 4123659995 (the check value of the C++ standard).
 */
const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER = 0x80000000;
const LOWER = 0x7fffffff;

/** The low 32 bits of a seed as PyTorch reads it (an integer, taken modulo 2^64, then modulo 2^32). */
export function seedLow32(seed: number | bigint): number {
  if (typeof seed === 'bigint') return Number(BigInt.asUintN(32, seed));
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite integer, got ${seed}`);
  return Number(BigInt.asUintN(32, BigInt(Math.trunc(seed))));
}

export class MT19937 {
  private readonly mt = new Uint32Array(N);
  /** The current state's N draws, tempered when the state is twisted (one tight loop, not one per draw). */
  private readonly out = new Uint32Array(N);
  private index = N; // N: twist before the next draw

  constructor(seed: number | bigint = 5489) {
    const mt = this.mt;
    mt[0] = seedLow32(seed);
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = Math.imul(1812433253, prev) + i; // Uint32Array storage wraps modulo 2^32
    }
  }

  /** One 32-bit draw, as an unsigned integer (PyTorch's `random()`). */
  random(): number {
    if (this.index >= N) this.twist();
    return this.out[this.index++];
  }

  /** Same as random(); the name earlier callers use. */
  nextUint32(): number {
    return this.random();
  }

  /** Two draws as one unsigned 64-bit value, the first draw high (PyTorch's `random64()`). */
  random64(): bigint {
    const hi = this.random();
    const lo = this.random();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  private twist(): void {
    const mt = this.mt;
    // k + 1 and k + M wrap past the end of the state: three loops, no remainder per step
    const next = (k: number, k1: number, km: number) => {
      const y = (mt[k] & UPPER) | (mt[k1] & LOWER);
      mt[k] = mt[km] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    };
    let k = 0;
    for (; k < N - M; k++) next(k, k + 1, k + M);
    for (; k < N - 1; k++) next(k, k + 1, k + M - N);
    next(N - 1, 0, M - 1);
    const out = this.out;
    for (let i = 0; i < N; i++) {
      let y = mt[i];
      y ^= y >>> 11;
      y ^= (y << 7) & 0x9d2c5680;
      y ^= (y << 15) & 0xefc60000;
      y ^= y >>> 18;
      out[i] = y >>> 0;
    }
    this.index = 0;
  }
}
