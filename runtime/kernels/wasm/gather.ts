/**
 * Indexed copies in WebAssembly, for the convolution's layout moves (runtime/kernels/conv.ts): a map of
 * byte offsets, made once per shape, says where each element comes from or goes to.
 *   gather(dst, src, map, n)       dst[i] = map[i] < 0 ? 0 : src[map[i]]     (im2col, a transpose)
 *   scatterAdd(dst, src, map, n)   dst[map[i]] += src[i] where map[i] >= 0    (col2im)
 *   gatherVec(dst, src, vmap, n)   the gather, four elements a step, over a map made by `vectorMap`
 *   scatterAddVec(dst, src, recs, n)  the scatter-add, up to four elements a step, over n records made
 *                                  by `scatterRecords` (a patch's row added back to an image's row)
 * dst, src and map are byte addresses in the heap; map holds n int32 byte offsets (negative: padding).
 * The gather is branch-free (a select); each loop step does one element. Where runs of the map read
 * consecutive elements (a patch's row of an image), `gatherVec` moves four of them with one vector load
 * and store, the padding lanes cleared.
 */
import type { Func } from './asm.ts';
import { FunctionBuilder } from './builder.ts';
import { heapKernels } from './module.ts';

export function gatherKernel(): Func {
  const f = new FunctionBuilder('gather', ['i32', 'i32', 'i32', 'i32']);
  const [dst, src, map, n] = f.params;
  const [i, m, end] = f.locals('i32', 3);
  f.get(n).i32(4).op('i32.mul').set(end);
  f.i32(0).set(i);
  f.forUp(i, end, 4, () => {
    f.get(map, i).op('i32.add').op('i32.load', 0).set(m);
    f.get(dst, i).op('i32.add');
    // src[max(m, 0)], then zero where m < 0
    f.get(src).get(m).i32(0).get(m).i32(0).op('i32.gt_s').select().op('i32.add').op('f32.load', 0);
    f.f32(0);
    f.get(m).i32(0).op('i32.ge_s').select();
    f.op('f32.store', 0);
  });
  return f.func();
}

export function scatterAddKernel(): Func {
  const f = new FunctionBuilder('scatterAdd', ['i32', 'i32', 'i32', 'i32']);
  const [dst, src, map, n] = f.params;
  const [i, m, end, q] = f.locals('i32', 4);
  f.get(n).i32(4).op('i32.mul').set(end);
  f.i32(0).set(i);
  f.forUp(i, end, 4, () => {
    f.get(map, i).op('i32.add').op('i32.load', 0).set(m);
    f.get(m).i32(0).op('i32.ge_s').if();
    f.get(dst, m).op('i32.add').tee(q);
    f.get(q).op('f32.load', 0).get(src, i).op('i32.add').op('f32.load', 0).op('f32.add');
    f.op('f32.store', 0);
    f.end();
  });
  return f.func();
}

/**
 * A gather map (byte offsets, -1 for padding) for `gatherVec`: each whole group of four elements that
 * reads consecutive floats, padding lanes aside, becomes [base, lanes << 2 | 2]: one vector load at
 * src + base, lanes (bit j: lane j read) kept and the others zero. A group is one only where that load
 * stays between the least and the greatest offset the map reads (so it reads nothing the plain gather
 * does not reach); every other group, and the last n mod 4 elements, keep their four offsets (whose low
 * two bits are never 2: offsets are multiples of 4, and -1 has both set). Also returns how many groups
 * are vectors.
 */
export function vectorMap(bytes: Int32Array): { map: Int32Array; vectors: number } {
  let lo = Infinity, hi = -Infinity;
  for (const v of bytes) if (v >= 0) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  const map = Int32Array.from(bytes);
  let vectors = 0;
  for (let g = 0; g + 4 <= bytes.length; g += 4) {
    let base = NaN, lanes = 0, ok = true;
    for (let j = 0; j < 4; j++) {
      const v = bytes[g + j];
      if (v < 0) continue;
      if (Number.isNaN(base)) base = v - 4 * j;
      else if (v - 4 * j !== base) ok = false;
      lanes |= 1 << j;
    }
    if (lanes === 0) base = lo;
    if (!ok || !(base >= lo && base + 12 <= hi)) continue;
    map[g] = base;
    map[g + 1] = (lanes << 2) | 2;
    vectors++;
  }
  return { map, vectors };
}

export function gatherVecKernel(): Func {
  const f = new FunctionBuilder('gatherVec', ['i32', 'i32', 'i32', 'i32']);
  const [dst, src, map, n] = f.params;
  const [i, m, w, end] = f.locals('i32', 4);
  const bits = Int32Array.of(1, 2, 4, 8);
  // one element as `gather` moves it, at byte i plus `at`
  const element = (at: number) => {
    f.get(map, i).op('i32.add').op('i32.load', at).set(m);
    f.get(dst, i).op('i32.add');
    f.get(src).get(m).i32(0).get(m).i32(0).op('i32.gt_s').select().op('i32.add').op('f32.load', 0);
    f.f32(0);
    f.get(m).i32(0).op('i32.ge_s').select();
    f.op('f32.store', at);
  };
  // whole groups of four: i = 16 × group
  f.get(n).i32(-4).op('i32.and').i32(4).op('i32.mul').set(end);
  f.i32(0).set(i);
  f.forUp(i, end, 16, () => {
    f.get(map, i).op('i32.add').op('i32.load', 4).tee(w).i32(3).op('i32.and').i32(2).op('i32.eq');
    f.if();
    f.get(dst, i).op('i32.add');
    f.get(src).get(map, i).op('i32.add').op('i32.load', 0).op('i32.add').op('v128.load', 0);
    // the lanes read: bit j of w >> 2 as an all-ones lane j
    f.get(w).i32(2).op('i32.shr_u').op('i32x4.splat').v128(bits).op('v128.and').v128(bits).op('i32x4.eq');
    f.op('v128.and').op('v128.store', 0);
    f.else();
    for (let j = 0; j < 4; j++) element(4 * j);
    f.end();
  });
  // the last n mod 4 elements
  f.get(n).i32(4).op('i32.mul').set(end);
  f.forUp(i, end, 4, () => element(0));
  return f.func();
}

/**
 * A scatter-add map (byte offsets, -1 for padding) as records for `scatterAddVec`, three int32 each, in
 * the map's order: [src, dst, lanes] adds the four floats at src + byte to those at dst + byte in the
 * lanes set (bit j: lane j), keeping the others as they were; [src, dst, 0] adds one float. A record
 * takes up to four consecutive map entries that add to consecutive floats; it is a vector only where its
 * four floats stay between the least and the greatest offset the map writes and its load within the
 * `srcBytes` the map reads. Each float gets its additions in the map's order, as `scatterAdd` gives them.
 */
export function scatterRecords(bytes: Int32Array, srcBytes: number): { map: Int32Array; records: number } {
  let lo = Infinity, hi = -Infinity;
  for (const v of bytes) if (v >= 0) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  const out: number[] = [];
  for (let i = 0; i < bytes.length; ) {
    const d = bytes[i];
    if (d < 0) { i++; continue; }
    let run = 1;
    while (run < 4 && i + run < bytes.length && bytes[i + run] === d + 4 * run) run++;
    if (run > 1 && d + 12 <= hi && d >= lo && 4 * i + 16 <= srcBytes) {
      out.push(4 * i, d, (1 << run) - 1);
      i += run;
    } else {
      out.push(4 * i, d, 0);
      i++;
    }
  }
  return { map: Int32Array.from(out), records: out.length / 3 };
}

export function scatterAddVecKernel(): Func {
  const f = new FunctionBuilder('scatterAddVec', ['i32', 'i32', 'i32', 'i32']);
  const [dst, src, rec, n] = f.params;
  const [r, end, w, q] = f.locals('i32', 4);
  const old = f.local('v128');
  const bits = Int32Array.of(1, 2, 4, 8);
  f.get(n).i32(12).op('i32.mul').get(rec).op('i32.add').set(end);
  f.get(rec).set(r);
  f.forUp(r, end, 12, () => {
    f.get(dst).get(r).op('i32.load', 4).op('i32.add').set(q);
    f.get(r).op('i32.load', 8).tee(w).if();
    f.get(q);
    f.get(q).op('v128.load', 0).tee(old).get(src).get(r).op('i32.load', 0).op('i32.add').op('v128.load', 0).op('f32x4.add');
    f.get(old);
    f.get(w).op('i32x4.splat').v128(bits).op('v128.and').v128(bits).op('i32x4.eq');
    f.op('v128.bitselect').op('v128.store', 0);
    f.else();
    f.get(q).get(q).op('f32.load', 0).get(src).get(r).op('i32.load', 0).op('i32.add').op('f32.load', 0).op('f32.add').op('f32.store', 0);
    f.end();
  });
  return f.func();
}

export interface GatherKernels {
  readonly gather: (dst: number, src: number, map: number, n: number) => void;
  readonly scatterAdd: (dst: number, src: number, map: number, n: number) => void;
  readonly gatherVec: (dst: number, src: number, map: number, n: number) => void;
  readonly scatterAddVec: (dst: number, src: number, records: number, n: number) => void;
}

/** The kernels bound to the heap's memory, or null where they cannot be compiled. */
export const gatherKernels = heapKernels<GatherKernels>(() => [gatherKernel(), scatterAddKernel(), gatherVecKernel(), scatterAddVecKernel()]);
