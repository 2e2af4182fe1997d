/**
 * Max pooling over 2×2 windows at stride 2 (NCHW, every window inside the input) in WebAssembly SIMD,
 * four outputs at a time: two rows of eight inputs are loaded, their even and odd columns picked
 * (i8x16.shuffle) and reduced with f32x4.max, which propagates a NaN as the first-maximum rule does (its
 * one difference: of −0 and +0 it returns +0, where the first maximum may be −0).
 *   maxPool2x2(x, y, planes, OH, planeB, rowB, outRowB, nb)
 *   maxPool2x2Grad(g, x, dx, planes, OH, planeB, rowB, outRowB, nb)
 * Per plane and output row, the first nb bytes of the output row (a multiple of 16) are done; planeB and
 * rowB are the input's plane and row sizes in bytes, outRowB the output row's. The gradient writes g at
 * each window's first maximum (a NaN is the maximum and comes first) and zero at its three other taps: the
 * windows do not overlap, so each covered input is written once. The caller does the rest of each row and
 * the inputs no window covers (runtime/kernels/pool.ts).
 *   maxPool2x2W4(x, y, 1, 1, 0, 16, 0, nb), maxPool2x2W4Grad(g, x, dx, 1, 1, 0, 16, 0, nb)
 * are the same for inputs 4 wide with every row covered (4×4 → 2×2 per plane): the planes' rows are then
 * one sequence, and four input rows (64 bytes) give two output rows, four outputs (16 bytes) at a time.
 */
import type { Func } from './asm.ts';
import { FunctionBuilder, type Local } from './builder.ts';
import { heapKernels } from './module.ts';

const EVEN = [0, 2, 4, 6], ODD = [1, 3, 5, 7];

/**
 * Loops over planes and output rows; `body(px, j)` for each 16-byte group j of an output row. A group's
 * inputs start 2·j bytes into the input row, or 4·j `w4` (four input rows a group).
 */
function rows(f: FunctionBuilder, x: Local, y: Local, planes: Local, OH: Local, planeB: Local, rowB: Local, outRowB: Local, nb: Local, w4: boolean, body: (px: Local, j: Local) => void) {
  const [pl, oy, j, px, rowX] = f.locals('i32', 5);
  f.i32(0).set(pl);
  f.forUp(pl, planes, 1, () => {
    f.get(x, pl, planeB).op('i32.mul').op('i32.add').set(rowX);
    f.i32(0).set(oy);
    f.forUp(oy, OH, 1, () => {
      f.i32(0).set(j);
      f.forUp(j, nb, 16, () => {
        // px: the first input of this group (two inputs an output: 2·j bytes in; four rows of two: 4·j)
        f.get(rowX, j, j).op('i32.add').op('i32.add');
        if (w4) f.get(j, j).op('i32.add').op('i32.add');
        f.set(px);
        body(px, j);
      });
      f.get(rowX, rowB, rowB).op('i32.add').op('i32.add').set(rowX);
      f.get(y, outRowB).op('i32.add').set(y);
    });
  });
}

/**
 * Sets the even and odd columns of the 8 inputs at px + off (two vectors); `w4`, of the 4 at px + off and
 * the 4 two rows (32 bytes) on.
 */
const evenOdd = (f: FunctionBuilder, px: Local, off: Local | null, lo: Local, hi: Local, ev: Local, od: Local, w4: boolean) => {
  f.get(px);
  if (off) f.get(off).op('i32.add');
  f.op('v128.load', 0).set(lo);
  f.get(px);
  if (off) f.get(off).op('i32.add');
  f.op('v128.load', w4 ? 32 : 16).set(hi);
  f.get(lo, hi).lanes(EVEN).set(ev);
  f.get(lo, hi).lanes(ODD).set(od);
};

export function maxPool2x2Kernel(w4 = false): Func {
  const f = new FunctionBuilder(w4 ? 'maxPool2x2W4' : 'maxPool2x2', Array(8).fill('i32'));
  const [x, y, planes, OH, planeB, rowB, outRowB, nb] = f.params;
  const [lo, hi, a, b, c, d] = f.locals('v128', 6);
  rows(f, x, y, planes, OH, planeB, rowB, outRowB, nb, w4, (px, j) => {
    evenOdd(f, px, null, lo, hi, a, b, w4);
    evenOdd(f, px, rowB, lo, hi, c, d, w4);
    f.get(y, j).op('i32.add');
    f.get(a, b).op('f32x4.max').get(c, d).op('f32x4.max').op('f32x4.max');
    f.op('v128.store', 0);
  });
  return f.func();
}

export function maxPool2x2GradKernel(w4 = false): Func {
  const f = new FunctionBuilder(w4 ? 'maxPool2x2W4Grad' : 'maxPool2x2Grad', Array(9).fill('i32'));
  const [g, x, dx, planes, OH, planeB, rowB, outRowB, nb] = f.params;
  const [lo, hi, a, b, c, d, m, gv, ta, tb, tc, seen] = f.locals('v128', 12);
  const [q] = f.locals('i32', 1);
  // hit(v): v is the maximum, or a NaN (then the maximum is NaN too)
  const hit = (v: Local) => f.get(v, m).op('f32x4.eq').get(v, v).op('f32x4.ne').op('v128.or');
  rows(f, x, g, planes, OH, planeB, rowB, outRowB, nb, w4, (px, j) => {
    evenOdd(f, px, null, lo, hi, a, b, w4);
    evenOdd(f, px, rowB, lo, hi, c, d, w4);
    f.get(a, b).op('f32x4.max').get(c, d).op('f32x4.max').op('f32x4.max').set(m);
    f.get(g, j).op('i32.add').op('v128.load', 0).set(gv);
    // the first tap that hits, in window order a, b (top row), c, d (bottom row)
    hit(a).set(ta);
    hit(b).get(ta).op('v128.andnot').set(tb);
    f.get(ta, tb).op('v128.or').set(seen);
    hit(c).get(seen).op('v128.andnot').set(tc);
    f.get(seen, tc).op('v128.or').set(seen);
    // g where the tap is the first maximum, else +0; even and odd columns interleaved back
    for (const [row, t0, t1] of [[null, ta, tb], [rowB, tc, null]] as const) {
      f.get(gv, t0).op('v128.and').set(lo);
      if (t1) f.get(gv, t1).op('v128.and').set(hi);
      else f.get(gv, seen).op('v128.andnot').set(hi);
      // dx's address for this row's 8 inputs
      f.get(px, x).op('i32.sub').get(dx).op('i32.add');
      if (row) f.get(row).op('i32.add');
      f.tee(q).get(lo, hi).lanes([0, 4, 1, 5]).op('v128.store', 0);
      f.get(q).get(lo, hi).lanes([2, 6, 3, 7]).op('v128.store', w4 ? 32 : 16);
    }
  });
  return f.func();
}

export interface PoolKernels {
  readonly maxPool2x2: (x: number, y: number, planes: number, OH: number, planeB: number, rowB: number, outRowB: number, nb: number) => void;
  readonly maxPool2x2Grad: (g: number, x: number, dx: number, planes: number, OH: number, planeB: number, rowB: number, outRowB: number, nb: number) => void;
  readonly maxPool2x2W4: PoolKernels['maxPool2x2'];
  readonly maxPool2x2W4Grad: PoolKernels['maxPool2x2Grad'];
}

/** The kernels bound to the heap's memory, or null where they cannot be compiled. */
export const poolKernels = heapKernels<PoolKernels>(() => [maxPool2x2Kernel(), maxPool2x2GradKernel(), maxPool2x2Kernel(true), maxPool2x2GradKernel(true)]);
