/**
 * The Mersenne Twister's twist and tempering (mt19937.ts) in WebAssembly SIMD, several states in one call:
 * four words a vector. The first 227 words read words 397 ahead (not yet twisted), the next 396 words
 * 227 behind (already twisted), so four consecutive words never read one another; the odd words (224 to
 * 226, and the last, which reads word 0) go one at a time. Integer operations only: the same draws.
 */
import { FunctionBuilder } from '../../runtime/kernels/wasm/builder.ts';
import { module } from '../../runtime/kernels/wasm/asm.ts';

const N = 624, M = 397;
const MATRIX_A = 0x9908b0df | 0, UPPER = 0x80000000 | 0, LOWER = 0x7fffffff;
const TEMPER_B = 0x9d2c5680 | 0, TEMPER_C = 0xefc60000 | 0;

/** States twisted per call, at most (their draws fill the memory's page after the state). */
export const MAX_TWISTS = 16;
/** Byte offset of the draws in the memory (the state is at 0). */
const DRAWS = 4096;

/** twists(t): t twists of the state at byte 0, each state's tempered draws at DRAWS + 4·N·(its index). */
function twistsFunc() {
  const f = new FunctionBuilder('twists', ['i32']);
  const [t] = f.params;
  const [n, k, at, y] = f.locals('i32', 4);
  const [v] = f.locals('v128', 1);
  /** The new word k (or words k .. k + 3, `vec`) from words k, k + 1 and k + `ahead`, stored over word k. */
  const word = (ahead: number, vec: boolean) => {
    const o = vec
      ? { load: 'v128.load', store: 'v128.store', and: 'v128.and', or: 'v128.or', xor: 'v128.xor', shr: 'i32x4.shr_u', sub: 'i32x4.sub' }
      : { load: 'i32.load', store: 'i32.store', and: 'i32.and', or: 'i32.or', xor: 'i32.xor', shr: 'i32.shr_u', sub: 'i32.sub' };
    const c = (x: number) => (vec ? f.i32x4(x) : f.i32(x));
    const y1 = vec ? v : y;
    const addr = () => f.get(k).i32(4).op('i32.mul');
    addr();
    // y = (mt[k] & UPPER) | (mt[k + 1] & LOWER)
    addr();
    f.op(o.load, 0);
    c(UPPER);
    f.op(o.and);
    addr();
    f.op(o.load, 4);
    c(LOWER);
    f.op(o.and).op(o.or).set(y1);
    // mt[k + ahead] ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A)
    f.get(k).i32(ahead).op('i32.add').i32(4).op('i32.mul').op(o.load, 0);
    f.get(y1).i32(1).op(o.shr).op(o.xor);
    c(0);
    f.get(y1);
    c(1);
    f.op(o.and).op(o.sub);
    c(MATRIX_A);
    f.op(o.and).op(o.xor).op(o.store, 0);
  };
  const range = (from: number, to: number, ahead: number) => {
    const vecEnd = from + ((to - from) & ~3);
    f.i32(from).set(k);
    f.forUp(k, () => f.i32(vecEnd), 4, () => word(ahead, true));
    for (let s = vecEnd; s < to; s++) {
      f.i32(s).set(k);
      word(ahead, false);
    }
  };
  f.i32(0).set(n);
  f.forUp(n, t, 1, () => {
    range(0, N - M, M);
    range(N - M, N - 1, M - N);
    // the last word reads word 0, twisted already
    f.i32(4 * (N - 1)).i32(4 * (M - 1)).op('i32.load');
    f.i32(4 * (N - 1)).op('i32.load').i32(UPPER).op('i32.and').i32(0).op('i32.load').i32(LOWER).op('i32.and').op('i32.or').set(y);
    f.get(y).i32(1).op('i32.shr_u').op('i32.xor').i32(0).get(y).i32(1).op('i32.and').op('i32.sub').i32(MATRIX_A).op('i32.and').op('i32.xor').op('i32.store', 0);
    // tempered draws, four a vector
    f.get(n).i32(4 * N).op('i32.mul').i32(DRAWS).op('i32.add').set(at);
    f.i32(0).set(k);
    f.forUp(k, () => f.i32(4 * N), 16, () => {
      const step = (fn: () => void) => {
        f.get(v);
        fn();
        f.op('v128.xor').set(v);
      };
      f.get(k).op('v128.load', 0).set(v);
      step(() => f.get(v).i32(11).op('i32x4.shr_u'));
      step(() => f.get(v).i32(7).op('i32x4.shl').i32x4(TEMPER_B).op('v128.and'));
      step(() => f.get(v).i32(15).op('i32x4.shl').i32x4(TEMPER_C).op('v128.and'));
      step(() => f.get(v).i32(18).op('i32x4.shr_u'));
      f.get(at, k).op('i32.add').get(v).op('v128.store', 0);
    });
  });
  return f.func();
}

let kernel: { fn: (t: number) => void; state: Int32Array; draws: Uint32Array } | null | undefined;

/** The kernel (made on first use), or null where WebAssembly SIMD cannot be compiled. */
function twistKernel() {
  if (kernel === undefined) {
    try {
      const memory = new WebAssembly.Memory({ initial: 1 });
      const mod = new WebAssembly.Module(module([twistsFunc()]) as Uint8Array<ArrayBuffer>);
      const fn = new WebAssembly.Instance(mod, { env: { memory } }).exports.twists as (t: number) => void;
      kernel = { fn, state: new Int32Array(memory.buffer, 0, N), draws: new Uint32Array(memory.buffer, DRAWS, MAX_TWISTS * N) };
    } catch {
      kernel = null;
    }
  }
  return kernel;
}

/**
 * `t` twists (at most MAX_TWISTS) of the state `mt` (updated), their draws in order (a view of the
 * kernel's memory, valid until the next call); null, having done nothing, without WebAssembly SIMD.
 */
export function twistsSimd(mt: Int32Array, t: number): Uint32Array | null {
  const k = twistKernel();
  if (!k) return null;
  k.state.set(mt);
  k.fn(t);
  mt.set(k.state);
  return k.draws.subarray(0, t * N);
}

