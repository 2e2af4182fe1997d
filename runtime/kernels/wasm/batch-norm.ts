/**
 * Batch normalization's training forward in WebAssembly (NCHW, statistics over every axis but 1):
 *   batchNormTrain(x, y, s, b, N, C, plane, eps)
 * for each channel c: the float64 mean of its N·plane values, their biased variance (the squared
 * deviations summed in float64), a = s[c]/√(var + eps), and y = x·a + (b[c] − mean·a) in float64, rounded
 * to float32. The same operations, one at a time in the same order, as the JS kernel in
 * compiler/ops/norm.ts (whose `d ** 2` is d·d): the same bits. A channel's sums are chains of dependent
 * adds (their order is the result's), so four channels go together, four chains side by side.
 */
import type { Func } from './asm.ts';
import { FunctionBuilder, type Local } from './builder.ts';
import { heapKernels } from './module.ts';

/** Channels done together. */
const GROUP = 4;

/** The loop variables of a walk over channel c's plane in each of N images (`overChannel`). */
interface ChannelWalk { n: Local; N: Local; C: Local; c: Local; p: Local; end: Local; pb: Local }

/** Runs `body` for each `step` bytes of channel c's plane (`pb` bytes) in every image, p its byte offset. */
function overChannel(f: FunctionBuilder, w: ChannelWalk, step: number, body: () => void): void {
  f.i32(0).set(w.n);
  f.forUp(w.n, w.N, 1, () => {
    f.get(w.n, w.C).op('i32.mul').get(w.c).op('i32.add').get(w.pb).op('i32.mul').set(w.p);
    f.get(w.p, w.pb).op('i32.add').set(w.end);
    f.forUp(w.p, w.end, step, body);
  });
}

/** Pushes the low (or high) two float32 lanes of v promoted to an f64x2. */
const half = (f: FunctionBuilder, v: Local, high: boolean): FunctionBuilder => (high ? f.get(v, v).lanes([2, 3, 2, 3]) : f.get(v)).op('f64x2.promote_low_f32x4');

/** Pushes the sum of the four float64 lanes of l0 and l1. */
const total = (f: FunctionBuilder, l0: Local, l1: Local): FunctionBuilder =>
  f.get(l0).op('f64x2.extract_lane', 0).get(l0).op('f64x2.extract_lane', 1).op('f64.add').get(l1).op('f64x2.extract_lane', 0).op('f64.add').get(l1).op('f64x2.extract_lane', 1).op('f64.add');

export function batchNormTrainKernel(): Func {
  const f = new FunctionBuilder('batchNormTrain', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'f64']);
  const [x, y, s, b, N, C, plane, eps] = f.params;
  const [c, n, p, end, pb, q, cEnd] = f.locals('i32', 7);
  const off = f.locals('i32', GROUP); // byte distance of channel c + g from channel c: g·plane·4
  const [d, count] = f.locals('f64', 2);
  const sum = f.locals('f64', GROUP), mean = f.locals('f64', GROUP), a = f.locals('f64', GROUP), bb = f.locals('f64', GROUP);
  // x[channel c + g] as float64, at byte p (channel c's)
  const load = (g: number) => {
    f.get(x, p).op('i32.add');
    if (g > 0) f.get(off[g]).op('i32.add');
    return f.op('f32.load', 0).op('f64.promote_f32');
  };
  // p over channel c's values (byte offsets): N runs of `plane` values
  const walk = { n, N, C, c, p, end, pb };
  // channels c .. c + G − 1
  const channels = (G: number) => {
    for (let g = 0; g < G; g++) f.f64(0).set(sum[g]);
    overChannel(f, walk, 4, () => {
      for (let g = 0; g < G; g++) load(g).get(sum[g]).op('f64.add').set(sum[g]);
    });
    for (let g = 0; g < G; g++) f.get(sum[g], count).op('f64.div').set(mean[g]).f64(0).set(sum[g]);
    overChannel(f, walk, 4, () => {
      for (let g = 0; g < G; g++) {
        load(g).get(mean[g]).op('f64.sub').set(d);
        f.get(sum[g], d, d).op('f64.mul').op('f64.add').set(sum[g]);
      }
    });
    for (let g = 0; g < G; g++) {
      // a = (1 / √(ss/count + eps)) · s[c + g];  bb = b[c + g] − mean · a
      f.get(c).i32(g).op('i32.add').i32(4).op('i32.mul').set(q);
      f.f64(1).get(sum[g], count).op('f64.div').get(eps).op('f64.add').op('f64.sqrt').op('f64.div');
      f.get(s, q).op('i32.add').op('f32.load', 0).op('f64.promote_f32').op('f64.mul').set(a[g]);
      f.get(b, q).op('i32.add').op('f32.load', 0).op('f64.promote_f32').get(mean[g], a[g]).op('f64.mul').op('f64.sub').set(bb[g]);
    }
    overChannel(f, walk, 4, () => {
      for (let g = 0; g < G; g++) {
        f.get(y, p).op('i32.add');
        if (g > 0) f.get(off[g]).op('i32.add');
        load(g).get(a[g]).op('f64.mul').get(bb[g]).op('f64.add');
        f.op('f32.demote_f64').op('f32.store', 0);
      }
    });
    f.get(c).i32(G).op('i32.add').set(c);
  };
  f.get(plane).i32(4).op('i32.mul').set(pb);
  for (let g = 1; g < GROUP; g++) f.get(pb).i32(g).op('i32.mul').set(off[g]);
  f.get(N, plane).op('i32.mul').op('f64.convert_i32_s').set(count);
  f.get(C).i32(-GROUP).op('i32.and').set(cEnd);
  f.i32(0).set(c);
  loopWhile(f, c, cEnd, () => channels(GROUP));
  loopWhile(f, c, C, () => channels(1));
  return f.func();
}

/** while (i < end) body (body moves i on). */
function loopWhile(f: FunctionBuilder, i: Local, end: Local, body: () => void): void {
  f.block().loop().get(i, end).op('i32.ge_s').brIf(1);
  body();
  f.br(0).end().end();
}

/**
 * The same forward for planes of whole vectors (plane a multiple of 4), in SIMD:
 *   batchNormTrainVec(x, y, s, b, N, C, plane, eps)
 * the sums in float64 (each f32x4 promoted to two f64x2), so only their order differs from the JS
 * kernel's; y = x·a + (b[c] − mean·a) in float64 lanes, rounded to float32, as the JS kernel computes it.
 */
export function batchNormTrainVecKernel(): Func {
  const f = new FunctionBuilder('batchNormTrainVec', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'f64']);
  const [x, y, s, b, N, C, plane, eps] = f.params;
  const [c, n, p, end, pb, q] = f.locals('i32', 6);
  const [count, mean, a] = f.locals('f64', 3);
  const [vx, d, av, bv] = f.locals('v128', 4);
  const acc = f.locals('v128', 2);
  const walk = { n, N, C, c, p, end, pb };
  // each vector of x loaded into vx before `body`
  const overX = (body: () => void) => overChannel(f, walk, 16, () => {
    f.get(x, p).op('i32.add').op('v128.load', 0).set(vx);
    body();
  });
  f.get(plane).i32(4).op('i32.mul').set(pb);
  f.get(N, plane).op('i32.mul').op('f64.convert_i32_s').set(count);
  f.i32(0).set(c);
  f.forUp(c, C, 1, () => {
    f.f32x4(0).set(acc[0]).f32x4(0).set(acc[1]);
    overX(() => {
      for (const h of [0, 1]) half(f, vx, h === 1).get(acc[h]).op('f64x2.add').set(acc[h]);
    });
    total(f, acc[0], acc[1]).get(count).op('f64.div').set(mean);
    f.get(mean).op('f64x2.splat').set(d);
    f.f32x4(0).set(acc[0]).f32x4(0).set(acc[1]);
    overX(() => {
      for (const h of [0, 1]) {
        half(f, vx, h === 1).get(d).op('f64x2.sub').tee(av);
        f.get(av).op('f64x2.mul').get(acc[h]).op('f64x2.add').set(acc[h]);
      }
    });
    // a = (1 / √(ss/count + eps)) · s[c];  bb = b[c] − mean · a
    f.get(c).i32(4).op('i32.mul').set(q);
    f.f64(1);
    total(f, acc[0], acc[1]).get(count).op('f64.div').get(eps).op('f64.add').op('f64.sqrt').op('f64.div');
    f.get(s, q).op('i32.add').op('f32.load', 0).op('f64.promote_f32').op('f64.mul').tee(a).op('f64x2.splat').set(av);
    f.get(b, q).op('i32.add').op('f32.load', 0).op('f64.promote_f32').get(mean, a).op('f64.mul').op('f64.sub').op('f64x2.splat').set(bv);
    overX(() => {
      f.get(y, p).op('i32.add');
      for (const h of [0, 1]) half(f, vx, h === 1).get(av).op('f64x2.mul').get(bv).op('f64x2.add').op('f32x4.demote_f64x2_zero');
      f.lanes([0, 1, 4, 5]).op('v128.store', 0);
    });
  });
  return f.func();
}

/**
 * BatchNormTrain's gradient for x or (`scale` 1) for its scale, for planes of whole vectors (plane a
 * multiple of 4):
 *   batchNormTrainGrad(x, s, g, y, N, C, plane, eps, scale)
 * for each channel c, in float64 (each f32x4 promoted to two f64x2): mean = Σx/M, then Σ(x − mean)²,
 * Σg and Σg·(x − mean), rstd = 1/√(Σ(x − mean)²/M + eps); the scale's gradient Σg·(x − mean)·rstd, or
 * dx = (g − Σg/M − (x − mean)·rstd²·Σg(x − mean)/M)·rstd·s[c] in f32x4.
 */
export function batchNormTrainGradKernel(): Func {
  const f = new FunctionBuilder('batchNormTrainGrad', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'f64', 'i32']);
  const [x, s, g, y, N, C, plane, eps, scale] = f.params;
  const [c, n, p, end, pb] = f.locals('i32', 5);
  const [count, mean, rstd, sgx] = f.locals('f64', 4);
  const [vx, vg, dl, dh, mv, a, mg, k, mf] = f.locals('v128', 9);
  const acc = f.locals('v128', 6);
  const walk = { n, N, C, c, p, end, pb };
  f.get(plane).i32(4).op('i32.mul').set(pb);
  f.get(N, plane).op('i32.mul').op('f64.convert_i32_s').set(count);
  f.i32(0).set(c);
  f.forUp(c, C, 1, () => {
    for (const l of acc) f.f32x4(0).set(l);
    overChannel(f, walk, 16, () => {
      f.get(x, p).op('i32.add').op('v128.load', 0).set(vx);
      half(f, vx, false).get(acc[0]).op('f64x2.add').set(acc[0]);
      half(f, vx, true).get(acc[1]).op('f64x2.add').set(acc[1]);
    });
    total(f, acc[0], acc[1]).get(count).op('f64.div').tee(mean).op('f64x2.splat').set(mv);
    f.f32x4(0).set(acc[0]).f32x4(0).set(acc[1]);
    overChannel(f, walk, 16, () => {
      f.get(x, p).op('i32.add').op('v128.load', 0).set(vx);
      f.get(g, p).op('i32.add').op('v128.load', 0).set(vg);
      half(f, vx, false).get(mv).op('f64x2.sub').set(dl);
      half(f, vx, true).get(mv).op('f64x2.sub').set(dh);
      f.get(acc[0], dl, dl).op('f64x2.mul').op('f64x2.add').set(acc[0]);
      f.get(acc[1], dh, dh).op('f64x2.mul').op('f64x2.add').set(acc[1]);
      half(f, vg, false).tee(vx).get(acc[2]).op('f64x2.add').set(acc[2]);
      f.get(acc[4], vx, dl).op('f64x2.mul').op('f64x2.add').set(acc[4]);
      half(f, vg, true).tee(vx).get(acc[3]).op('f64x2.add').set(acc[3]);
      f.get(acc[5], vx, dh).op('f64x2.mul').op('f64x2.add').set(acc[5]);
    });
    f.f64(1);
    total(f, acc[0], acc[1]).get(count).op('f64.div').get(eps).op('f64.add').op('f64.sqrt').op('f64.div').set(rstd);
    total(f, acc[4], acc[5]).set(sgx);
    f.get(scale).if();
    f.get(y).get(c).i32(4).op('i32.mul').op('i32.add').get(sgx, rstd).op('f64.mul').op('f32.demote_f64').op('f32.store', 0);
    f.else();
    // a = rstd·s[c], mg = Σg/M, k = rstd²·Σg(x − mean)/M, as f32x4 splats
    f.get(rstd).get(s).get(c).i32(4).op('i32.mul').op('i32.add').op('f32.load', 0).op('f64.promote_f32').op('f64.mul').op('f32.demote_f64').op('f32x4.splat').set(a);
    total(f, acc[2], acc[3]).get(count).op('f64.div').op('f32.demote_f64').op('f32x4.splat').set(mg);
    f.get(rstd, rstd).op('f64.mul').get(sgx).op('f64.mul').get(count).op('f64.div').op('f32.demote_f64').op('f32x4.splat').set(k);
    f.get(mean).op('f32.demote_f64').op('f32x4.splat').set(mf);
    overChannel(f, walk, 16, () => {
      f.get(y, p).op('i32.add');
      f.get(g, p).op('i32.add').op('v128.load', 0).get(mg).op('f32x4.sub');
      f.get(x, p).op('i32.add').op('v128.load', 0).get(mf).op('f32x4.sub').get(k).op('f32x4.mul').op('f32x4.sub');
      f.get(a).op('f32x4.mul').op('v128.store', 0);
    });
    f.end();
  });
  return f.func();
}

/**
 * A running statistic's next value, for planes of whole vectors:
 *   batchNormRunning(x, r, y, N, C, plane, m, unbiased)
 * for each channel c, in float64: mean = Σx/M (f64x2 sums), with `unbiased` v = Σ(x − mean)²/(M − 1),
 * else v = mean; y[c] = (1 − m)·r[c] + m·v, rounded to float32.
 */
export function batchNormRunningKernel(): Func {
  const f = new FunctionBuilder('batchNormRunning', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'f64', 'i32']);
  const [x, r, y, N, C, plane, m, unbiased] = f.params;
  const [c, n, p, end, pb, q] = f.locals('i32', 6);
  const [count, v] = f.locals('f64', 2);
  const [vx, d, t] = f.locals('v128', 3);
  const acc = f.locals('v128', 2);
  const walk = { n, N, C, c, p, end, pb };
  // each vector of x loaded into vx before `body`
  const overX = (body: () => void) => overChannel(f, walk, 16, () => {
    f.get(x, p).op('i32.add').op('v128.load', 0).set(vx);
    body();
  });
  f.get(plane).i32(4).op('i32.mul').set(pb);
  f.get(N, plane).op('i32.mul').op('f64.convert_i32_s').set(count);
  f.i32(0).set(c);
  f.forUp(c, C, 1, () => {
    f.f32x4(0).set(acc[0]).f32x4(0).set(acc[1]);
    overX(() => {
      for (const h of [0, 1]) half(f, vx, h === 1).get(acc[h]).op('f64x2.add').set(acc[h]);
    });
    total(f, acc[0], acc[1]).get(count).op('f64.div').set(v);
    f.get(unbiased).if();
    f.get(v).op('f64x2.splat').set(d);
    f.f32x4(0).set(acc[0]).f32x4(0).set(acc[1]);
    overX(() => {
      for (const h of [0, 1]) {
        half(f, vx, h === 1).get(d).op('f64x2.sub').tee(t);
        f.get(t).op('f64x2.mul').get(acc[h]).op('f64x2.add').set(acc[h]);
      }
    });
    total(f, acc[0], acc[1]).get(count).f64(1).op('f64.sub').op('f64.div').set(v);
    f.end();
    f.get(c).i32(4).op('i32.mul').set(q);
    f.get(y, q).op('i32.add');
    f.f64(1).get(m).op('f64.sub').get(r, q).op('i32.add').op('f32.load', 0).op('f64.promote_f32').op('f64.mul');
    f.get(m, v).op('f64.mul').op('f64.add').op('f32.demote_f64').op('f32.store', 0);
  });
  return f.func();
}

export interface BatchNormKernels {
  readonly batchNormTrain: (x: number, y: number, s: number, b: number, N: number, C: number, plane: number, eps: number) => void;
  readonly batchNormTrainVec: (x: number, y: number, s: number, b: number, N: number, C: number, plane: number, eps: number) => void;
  readonly batchNormRunning: (x: number, r: number, y: number, N: number, C: number, plane: number, m: number, unbiased: number) => void;
  readonly batchNormTrainGrad: (x: number, s: number, g: number, y: number, N: number, C: number, plane: number, eps: number, scale: number) => void;
}

/** The kernels bound to the heap's memory, or null where they cannot be compiled. */
export const batchNormKernels = heapKernels<BatchNormKernels>(() => [batchNormTrainKernel(), batchNormTrainVecKernel(), batchNormTrainGradKernel(), batchNormRunningKernel()]);
