/**
 * The 32-bit Mersenne Twister (Matsumoto & Nishimura 1998, the parameters of C++'s std::mt19937) as
 * PyTorch's CPU generator uses it. Plain TypeScript (no Node API), so it also runs in a browser; `fill`
 * of more than a state's draws twists the states in WebAssembly SIMD where it can (mt19937-wasm.ts).
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
import { MAX_TWISTS, twistsSimd } from './mt19937-wasm.ts';

const N = 624;
const M = 397;
// As int32 values (`| 0`), so that the twist stays in 32-bit integer arithmetic
const MATRIX_A = 0x9908b0df | 0;
const UPPER = 0x80000000 | 0;
const LOWER = 0x7fffffff;
const TEMPER_B = 0x9d2c5680 | 0;
const TEMPER_C = 0xefc60000 | 0;

/** The low 32 bits of a seed as PyTorch reads it (an integer, taken modulo 2^64, then modulo 2^32). */
export function seedLow32(seed: number | bigint): number {
  if (typeof seed === 'bigint') return Number(BigInt.asUintN(32, seed));
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite integer, got ${seed}`);
  return Number(BigInt.asUintN(32, BigInt(Math.trunc(seed))));
}

export class MT19937 {
  private readonly mt = new Int32Array(N);
  /** The current state's N draws, tempered when the state is twisted (one tight loop, not one per draw). */
  private readonly out = new Uint32Array(N);
  private index = N; // N: twist before the next draw

  constructor(seed: number | bigint = 5489) {
    const mt = this.mt;
    mt[0] = seedLow32(seed);
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = Math.imul(1812433253, prev) + i; // Int32Array storage wraps modulo 2^32
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

  /** The next `count` draws into dst[at ..], in order: `random()` that many times, a state at a time. */
  fill(dst: Uint32Array, at: number, count: number): void {
    const out = this.out;
    let i = this.index;
    let k = at;
    const end = at + count;
    // the current state's draws, then (where WebAssembly SIMD is there, mt19937-wasm.ts) up to
    // MAX_TWISTS states a call, the last one's draws kept for the next draws
    if (end - k > N) {
      const n = Math.min(N - i, end - k);
      dst.set(out.subarray(i, i + n), k);
      i += n;
      k += n;
      for (let draws; k < end && (draws = twistsSimd(this.mt, Math.min(MAX_TWISTS, Math.ceil((end - k) / N)))); ) {
        const n = Math.min(draws.length, end - k);
        dst.set(draws.subarray(0, n), k);
        k += n;
        out.set(draws.subarray(draws.length - N));
        i = n - (draws.length - N);
      }
    }
    // a state's draws at a time (a block copy each)
    for (; k < end; ) {
      if (i >= N) {
        this.twist();
        i = 0;
      }
      const n = Math.min(N - i, end - k);
      dst.set(out.subarray(i, i + n), k);
      i += n;
      k += n;
    }
    this.index = i;
  }

  /** Two draws as one unsigned 64-bit value, the first draw high (PyTorch's `random64()`). */
  random64(): bigint {
    const hi = this.random();
    const lo = this.random();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  private twist(): void {
    const mt = this.mt;
    // In int32 arithmetic throughout (the words' bits as Int32Array holds them), without a branch per word:
    // the low bit of y selects MATRIX_A by a mask. k + 1 and k + M wrap past the end: three loops.
    let k = 0;
    for (; k < N - M; k++) {
      const y = (mt[k] & UPPER) | (mt[k + 1] & LOWER);
      mt[k] = mt[k + M] ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
    }
    for (; k < N - 1; k++) {
      const y = (mt[k] & UPPER) | (mt[k + 1] & LOWER);
      mt[k] = mt[k + M - N] ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
    }
    const y = (mt[N - 1] & UPPER) | (mt[0] & LOWER);
    mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
    const out = this.out;
    for (let i = 0; i < N; i++) {
      let y = mt[i];
      y ^= y >>> 11;
      y ^= (y << 7) & TEMPER_B;
      y ^= (y << 15) & TEMPER_C;
      y ^= y >>> 18;
      out[i] = y; // Uint32Array storage reads the int32's bits as unsigned
    }
    this.index = 0;
  }
}
