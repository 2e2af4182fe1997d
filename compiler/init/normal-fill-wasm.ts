/**
 * normal-fill.ts's fast AVX2 Box-Muller kernel in WebAssembly SIMD: the same double operations in the
 * same order, two pairs to an f64x2 (each float rounding a demotion to f32 and a promotion back, as
 * Math.fround is), so the same floats; a block's eight pairs in flight at once (four vectors, their
 * steps interleaved: each Horner step waits for the last). Integer steps take the form that lanes allow:
 * the bit length and significand of k = 2^24 − u are read from k as a float (exact: k ≤ 2^24), which is
 * what the JS kernel's count of leading zeros and shift compute. Its last step flags the same halfway
 * cases, which its caller then computes with fmaf. The draws and values pass through a private memory.
 */
import { FunctionBuilder, type Local } from '../../runtime/kernels/wasm/builder.ts';
import { module } from '../../runtime/kernels/wasm/asm.ts';

/** The kernel's constants (normal-fill.ts's, as floats). */
export interface BoxMullerConstants {
  readonly SQRTHF: number;
  readonly LOG_P: readonly number[];
  readonly LOG_Q1: number;
  readonly LOG_Q2: number;
  readonly FOPI: number;
  readonly DP: readonly number[];
  readonly SIN_P: readonly number[];
  readonly COS_P: readonly number[];
  readonly TWO_PI_F: number;
  readonly U24: number;
}

/** Draws (and values) a call takes: the private memory holds this many of each. */
export const WASM_CHUNK = 4096;

/** fn(w, d, len, mean, std): len draws at byte w (a multiple of 16) to len floats at byte d; nonzero where a last step was halfway. */
function boxMullerFunc(K: BoxMullerConstants) {
  const f = new FunctionBuilder('boxMuller', ['i32', 'i32', 'i32', 'f64', 'f64'], ['i32']);
  const [w, d, len, meanP, stdP] = f.params;
  const [o, pw, pd] = f.locals('i32', 3);
  const [mean, std, tie] = f.locals('v128', 3);
  const G = 4; // vectors of two pairs each: the block's eight pairs
  const regs = Array.from({ length: G }, () => {
    const [k, m0, lo, e, m, z, y, x, q, c, v, sw, t, s, p] = f.locals('v128', 15);
    return { k, m0, lo, e, m, z, y, x, q, c, v, sw, t, s, p };
  });
  type R = (typeof regs)[number];
  const c2 = (x: number) => () => f.v128(Float64Array.of(x, x));
  const l = (loc: Local) => () => f.get(loc);
  const round = () => f.op('f32x4.demote_f64x2_zero').op('f64x2.promote_low_f32x4');
  /** dst = fround(a·b + c), in doubles. */
  const fma = (dst: Local, a: () => void, b: () => void, c: () => void) => {
    a();
    b();
    f.op('f64x2.mul');
    c();
    f.op('f64x2.add');
    round();
    f.set(dst);
  };
  /** fround(a op b), pushed. */
  const opR = (a: () => void, b: () => void, op = 'f64x2.mul') => () => {
    a();
    b();
    f.op(op);
    round();
  };
  const mulR = (a: () => void, b: () => void) => opR(a, b);
  const setR = (dst: Local, a: () => void, b: () => void, op = 'f64x2.mul') => {
    opR(a, b, op)();
    f.set(dst);
  };
  /** The last step: fround(a·std + mean) stored at d's byte offset `at`, and its halfway test into `tie`. */
  const last = (r: R, a: () => void, at: number) => {
    a();
    f.get(std).op('f64x2.mul').set(r.p);
    f.get(r.p, mean).op('f64x2.add').set(r.s);
    f.get(pd).get(r.s).op('f32x4.demote_f64x2_zero').op('i64x2.extract_lane', 0).op('i64.store', at);
    // h = s − p; err = (p − (s − h)) + (mean − h): nonzero where s is not a·std + mean
    f.get(r.s, r.p).op('f64x2.sub').set(r.t);
    f.get(r.p, r.s, r.t).op('f64x2.sub').op('f64x2.sub').get(mean, r.t).op('f64x2.sub').op('f64x2.add').v128(Float64Array.of(0, 0)).op('f64x2.ne');
    // s halfway between two floats: its low 29 bits 1 and then zeros
    f.get(r.s).v128(Int32Array.of(0x1fffffff, 0, 0x1fffffff, 0)).op('v128.and').v128(Int32Array.of(0x10000000, 0, 0x10000000, 0)).op('i64x2.eq');
    f.op('v128.and').get(tie).op('v128.or').set(tie);
  };
  // the pair's steps, each for all G vectors before the next (g: which two pairs of the block)
  const steps: ((r: R, g: number) => void)[] = [
    // k = 2^24 − u; as a float, its exponent is its bit length b (+ 126) and its significand m0 in [0.5, 1)
    (r, g) => f.i32x4(0x1000000).get(pw).op('v128.load64_zero', 8 * g).i32x4(0xffffff).op('v128.and').op('i32x4.sub').op('f32x4.convert_i32x4_u').set(r.k),
    (r) => f.get(r.k).i32x4(0x7fffff).op('v128.and').i32x4(0x3f000000).op('v128.or').set(r.m0),
    // below √½ (lo, a lane mask) the significand doubles and the exponent drops by one: e = b − 24 − lo
    (r) => f.get(r.m0).f32x4(K.SQRTHF).op('f32x4.lt').set(r.lo),
    (r) => f.get(r.k).i32(23).op('i32x4.shr_u').i32x4(150).op('i32x4.sub').get(r.lo).op('i32x4.add').op('f64x2.convert_low_i32x4_s').set(r.e),
    (r) => f.get(r.lo).i32x4(1).op('v128.and').op('f64x2.convert_low_i32x4_s').set(r.lo),
    (r) => f.get(r.m0).op('f64x2.promote_low_f32x4').set(r.m0),
    // m = fround(fround(m0 − 1) + lo·m0)
    (r) => fma(r.m, l(r.lo), l(r.m0), opR(l(r.m0), c2(1), 'f64x2.sub')),
    (r) => setR(r.z, l(r.m), l(r.m)),
    (r) => fma(r.y, c2(K.LOG_P[0]), l(r.m), c2(K.LOG_P[1])),
    ...K.LOG_P.slice(2).map((pk) => (r: R) => fma(r.y, l(r.y), l(r.m), c2(pk))),
    (r) => setR(r.y, l(r.y), l(r.m)),
    (r) => fma(r.y, l(r.y), l(r.z), mulR(l(r.e), c2(K.LOG_Q1))),
    (r) => setR(r.y, l(r.y), mulR(l(r.z), c2(0.5)), 'f64x2.sub'),
    (r) => fma(r.y, l(r.e), c2(K.LOG_Q2), opR(l(r.m), l(r.y), 'f64x2.add')),
    // the radius: fround(√fround(−2·y))
    (r) => {
      f.get(r.y).v128(Float64Array.of(-2, -2)).op('f64x2.mul');
      round();
      f.op('f64x2.sqrt');
      round();
      f.set(r.y);
    },
    // the angle x = fround(2π·(u·2^-24)), its octant q, then x − q·π/4
    (r, g) => {
      f.v128(Float64Array.of(K.TWO_PI_F, K.TWO_PI_F)).get(pw).op('v128.load64_zero', 32 + 8 * g).i32x4(0xffffff).op('v128.and').op('f64x2.convert_low_i32x4_s');
      f.v128(Float64Array.of(K.U24, K.U24)).op('f64x2.mul').op('f64x2.mul');
      round();
      f.set(r.x);
    },
    (r) => {
      f.get(r.x).v128(Float64Array.of(K.FOPI, K.FOPI)).op('f64x2.mul');
      round();
      f.op('i32x4.trunc_sat_f64x2_s_zero').i32x4(1).op('i32x4.add').i32x4(~1).op('v128.and').set(r.q);
    },
    (r) => f.get(r.q).op('f64x2.convert_low_i32x4_s').set(r.t),
    ...K.DP.map((dp) => (r: R) => fma(r.x, l(r.t), c2(dp), l(r.x))),
    (r) => setR(r.z, l(r.x), l(r.x)),
    (r) => fma(r.c, c2(K.COS_P[0]), l(r.z), c2(K.COS_P[1])),
    (r) => fma(r.c, l(r.c), l(r.z), c2(K.COS_P[2])),
    (r) => setR(r.c, l(r.c), l(r.z)),
    (r) => fma(r.c, l(r.c), l(r.z), () => {
      mulR(l(r.z), c2(0.5))();
      f.op('f64x2.neg');
    }),
    (r) => setR(r.c, l(r.c), c2(1), 'f64x2.add'),
    (r) => fma(r.v, c2(K.SIN_P[0]), l(r.z), c2(K.SIN_P[1])),
    (r) => fma(r.v, l(r.v), l(r.z), c2(K.SIN_P[2])),
    (r) => setR(r.v, l(r.v), l(r.z)),
    (r) => fma(r.v, l(r.v), l(r.x), l(r.x)),
    // octants where sine and cosine trade places (sw), and the signs: products by 0, 1 or −1, exact
    (r) => f.get(r.q).i32(1).op('i32x4.shr_s').i32x4(1).op('v128.and').op('f64x2.convert_low_i32x4_s').set(r.sw),
    (r) => {
      // x = (v·(1 − sw) + c·sw)·(1 − ((q & 4) >> 1))
      f.get(r.v).v128(Float64Array.of(1, 1)).get(r.sw).op('f64x2.sub').op('f64x2.mul').get(r.c, r.sw).op('f64x2.mul').op('f64x2.add');
      f.i32x4(1).get(r.q).i32x4(4).op('v128.and').i32(1).op('i32x4.shr_s').op('i32x4.sub').op('f64x2.convert_low_i32x4_s').op('f64x2.mul').set(r.x);
    },
    (r) => {
      // c = (c·(1 − sw) + v·sw)·((((q − 2) & 4) >> 1) − 1)
      f.get(r.c).v128(Float64Array.of(1, 1)).get(r.sw).op('f64x2.sub').op('f64x2.mul').get(r.v, r.sw).op('f64x2.mul').op('f64x2.add');
      f.get(r.q).i32x4(2).op('i32x4.sub').i32x4(4).op('v128.and').i32(1).op('i32x4.shr_s').i32x4(1).op('i32x4.sub').op('f64x2.convert_low_i32x4_s').op('f64x2.mul').set(r.c);
    },
    (r, g) => last(r, mulR(l(r.y), l(r.c)), 8 * g),
    (r, g) => last(r, mulR(l(r.y), l(r.x)), 32 + 8 * g),
  ];
  f.get(meanP).op('f64x2.splat').set(mean);
  f.get(stdP).op('f64x2.splat').set(std);
  f.i32(0).set(o);
  f.forUp(o, len, 16, () => {
    f.get(w, o).i32(4).op('i32.mul').op('i32.add').set(pw);
    f.get(d, o).i32(4).op('i32.mul').op('i32.add').set(pd);
    for (const st of steps) regs.forEach((r, g) => st(r, g));
  });
  f.get(tie).op('v128.any_true');
  return f.func();
}

type Fn = (w: number, d: number, len: number, mean: number, std: number) => number;
let kernel: { fn: Fn; draws: Uint32Array; values: Float32Array } | null | undefined;

/**
 * The kernel over this engine's WebAssembly (made on first use), or null where it cannot be made (no
 * SIMD, or a page whose content security policy forbids compiling WebAssembly).
 */
function wasmKernel(K: BoxMullerConstants) {
  if (kernel === undefined) {
    try {
      const memory = new WebAssembly.Memory({ initial: 1 });
      const mod = new WebAssembly.Module(module([boxMullerFunc(K)]) as Uint8Array<ArrayBuffer>);
      const fn = new WebAssembly.Instance(mod, { env: { memory } }).exports.boxMuller as Fn;
      kernel = { fn, draws: new Uint32Array(memory.buffer, 0, WASM_CHUNK), values: new Float32Array(memory.buffer, 4 * WASM_CHUNK, WASM_CHUNK) };
    } catch {
      kernel = null;
    }
  }
  return kernel;
}

/**
 * The fast kernel's values for len draws at w[at ..] (len a multiple of 16) into d[to ..]; returns 1 where a
 * last step was halfway (the caller computes those draws again), 0 else, or −1 without having computed
 * anything where WebAssembly SIMD is not available.
 */
export function boxMullerSimd(K: BoxMullerConstants, w: Uint32Array, at: number, d: Float32Array, to: number, len: number, mean: number, std: number): number {
  const k = wasmKernel(K);
  if (!k) return -1;
  let tie = 0;
  for (let i = 0; i < len; i += WASM_CHUNK) {
    const n = Math.min(WASM_CHUNK, len - i);
    k.draws.set(w.subarray(at + i, at + i + n));
    tie |= k.fn(0, 4 * WASM_CHUNK, n, mean, std);
    d.set(k.values.subarray(0, n), to + i);
  }
  return tie;
}
