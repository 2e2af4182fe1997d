/**
 * The row kernel: a narrow linear layer z = X·w (X [N, K], K ≤ 16, w [K, 1]), the
 * elementwise ops that follow it row by row, and the reductions over rows that end such a chain in a
 * training step (Xᵀ·g for the weights' gradient, Σ g for the bias's), in one pass over X, with every
 * intermediate in f32x4 registers. A logistic regression's step is this shape: z, e^(−|z|),
 * sigmoid(z) − y, then Xᵀ·g and Σ g.
 *
 * Rows go four at a time (a group), several groups per iteration in their own registers (`copiesFor`),
 * so that one group's long chain (an exp) overlaps the others'. In a group: the rows of X are loaded once
 * (K/4 vectors each) and kept; z is their dot products with w, reduced together by lane shuffles (one
 * vector, a lane per row); the chain's ops run on that vector by their own SIMD rules (the rules of the
 * elementwise kernels); values read outside the kernel are stored; each gradient Xᵀ·g accumulates g's
 * lane r times row r (rows alternating between two sets of accumulators), each sum accumulates in
 * float64. Groups left over after the last whole iteration go one per iteration; the last N mod 4 rows
 * are one more group whose missing rows read row 0 and are masked out of the reductions; its stores land
 * in the rest of the buffer's last 16 bytes (the plan's buffers take whole vectors).
 * A row is ⌈K/4⌉ vectors; where K is not a multiple of 4, the last one also reads the start of the next
 * row (past the last row, the next bytes of the heap, which has room after every allocation), and those
 * lanes are cleared, in w's last vector too, so they add +0 to every dot product and every gradient lane;
 * a gradient's last vector is stored lane by lane (K mod 4 of them).
 * On W2's step (759 rows, 8 features, logistic regression) the region with two groups per iteration is
 * faster than with one, and than the six separate kernels it replaces (`npm run bench`, W2).
 */
import type { Func } from './asm.ts';
import { FunctionBuilder, type Local } from './builder.ts';
import { shapeKernel, type ShapeKernel } from './module.ts';
import { MATH_SCRATCH } from './math.ts';
import type { SimdStep } from './elementwise.ts';

/**
 * A row program. Values: −1 is z, −(j+2) is operand j, k ≥ 0 is step k's result. Operands are 'row'
 * (one float per row, [N, 1]) or 'scalar' (one float, splatted).
 */
export interface RowProgram {
  readonly K: number;
  readonly operands: readonly ('row' | 'scalar')[];
  readonly steps: readonly SimdStep[];
  /** Values written to a buffer of N floats. */
  readonly stores: readonly number[];
  /** Values g whose Xᵀ·g ([K] floats) is an output. */
  readonly grads: readonly number[];
  /**
   * Values whose float64 sum over the rows is an output: four partial sums (eight bytes each), and, where
   * the block gives an address for it, their total as float32, ((p0 + p1) + (p2 + p3)).
   */
  readonly sums: readonly number[];
}

/**
 * The argument block the kernel reads (i32s at byte offset `args`): x, w, groups (N div 4), tail rows
 * (N mod 4), the tail's lane mask (four i32), then a byte offset per operand, store, gradient and sum
 * (its partials), then per sum the byte offset of its float32 total (0: the partials only).
 */
export const ARG = { x: 0, w: 1, groups: 2, tail: 3, mask: 4, first: 5 } as const;

/**
 * Groups of four rows per iteration, each in its own registers, so that one group's long chain (an exp)
 * overlaps the others': four for rows of up to 8 floats, two for wider ones (whose groups hold more
 * registers). On W2's program (8 features) three or four groups were fastest of one to eight, timed
 * interleaved in one process. The groups' order of accumulation is the same for any count (results bit
 * for bit).
 */
export const copiesFor = (K: number) => (K <= 8 ? 4 : 2);
/** Sets of gradient accumulators (rows alternate between them, so consecutive multiply-adds do not wait). */
const SETS = 2;

export function rowKernel(p: RowProgram, fma: boolean, copies = copiesFor(p.K)): Func {
  const V = Math.ceil(p.K / 4), part = p.K % 4;
  const nOps = p.operands.length, nSt = p.stores.length, nG = p.grads.length, nS = p.sums.length;
  const C = copies;
  const f = new FunctionBuilder('kernel', ['i32']);
  const [args] = f.params;
  const [lx, lGroups, lTail, lMask, lG, lOff] = f.locals('i32', 6);
  const rowC = Array.from({ length: C }, () => f.locals('i32', 4));
  const ptrOp = f.locals('i32', nOps), ptrSt = f.locals('i32', nSt), ptrG = f.locals('i32', nG), ptrS = f.locals('i32', nS), ptrT = f.locals('i32', nS);
  const lW = f.locals('v128', V), lScalar = f.locals('v128', nOps), lAcc = f.locals('v128', nG * SETS * V), lSum = f.locals('v128', 2 * nS), lMaskV = f.local('v128');
  const per = Array.from({ length: C }, () => ({ op: f.locals('v128', nOps), xr: f.locals('v128', 4 * V), dot: f.locals('v128', 4), z: f.local('v128'), step: f.locals('v128', p.steps.length), scratch: f.locals('v128', MATH_SCRATCH), m: f.locals('v128', 2) }));
  /** Clears the lanes past K of a row's (or w's) last vector, where K is not a multiple of 4. */
  const clearPast = (j: number) => part && j === V - 1 && f.v128(Int32Array.from([0, 1, 2, 3], (l) => (l < part ? -1 : 0))).op('v128.and');
  const arg = (k: number, l: Local) => f.get(args).op('i32.load', 4 * k).set(l);
  const madd = (a: () => unknown, x: () => unknown, acc: Local) => {
    if (fma) {
      a();
      x();
      f.get(acc).op('f32x4.relaxed_madd');
    } else {
      f.get(acc);
      a();
      x();
      f.op('f32x4.mul').op('f32x4.add');
    }
  };

  arg(ARG.x, lx);
  arg(ARG.groups, lGroups);
  arg(ARG.tail, lTail);
  arg(ARG.mask, lMask);
  [...ptrOp, ...ptrSt, ...ptrG, ...ptrS, ...ptrT].forEach((l, j) => arg(ARG.first + j, l));
  arg(ARG.w, lG);
  lW.forEach((w, j) => {
    f.get(lG).op('v128.load', 16 * j);
    clearPast(j);
    f.set(w);
  });
  p.operands.forEach((kind, j) => kind === 'scalar' && f.get(ptrOp[j]).op('v128.load32_splat').set(lScalar[j]));
  for (const a of [...lAcc, ...lSum]) f.f32x4(0).set(a);

  /** One group of four rows (copy c's registers) at its row pointers, byte offset lOff + 16c into the per-row buffers. */
  const group = (masked: boolean, c = 0) => {
    const { op: lOp, xr, dot, z, step, scratch, m } = per[c];
    const value = (k: number) => (k === -1 ? z : k <= -2 ? (p.operands[-k - 2] === 'row' ? lOp : lScalar)[-k - 2] : step[k]);
    for (let r = 0; r < 4; r++) {
      for (let j = 0; j < V; j++) {
        f.get(rowC[c][r]).op('v128.load', 16 * j);
        clearPast(j);
        f.set(xr[r * V + j]);
      }
      f.get(xr[r * V], lW[0]).op('f32x4.mul').set(dot[r]);
      for (let j = 1; j < V; j++) {
        madd(() => f.get(xr[r * V + j]), () => f.get(lW[j]), dot[r]);
        f.set(dot[r]);
      }
    }
    // z = the four rows' sums, one lane each (as matvec4 reduces)
    f.get(dot[0], dot[1]).lanes([0, 1, 4, 5]).get(dot[0], dot[1]).lanes([2, 3, 6, 7]).op('f32x4.add').set(m[0]);
    f.get(dot[2], dot[3]).lanes([0, 1, 4, 5]).get(dot[2], dot[3]).lanes([2, 3, 6, 7]).op('f32x4.add').set(m[1]);
    f.get(m[0], m[1]).lanes([0, 2, 4, 6]).get(m[0], m[1]).lanes([1, 3, 5, 7]).op('f32x4.add').set(z);
    p.operands.forEach((kind, j) => kind === 'row' && f.get(ptrOp[j], lOff).op('i32.add').op('v128.load', 16 * c).set(lOp[j]));
    for (const [s, st] of p.steps.entries()) {
      st.rule(f, ...st.args.map(value), ...scratch);
      f.set(step[s]);
    }
    p.stores.forEach((k, j) => f.get(ptrSt[j], lOff).op('i32.add').get(value(k)).op('v128.store', 16 * c));
    // the reductions see only real rows: in the tail group, the mask's lanes are zero past the last row
    const reduced = (k: number) => (masked ? f.get(value(k), lMaskV).op('v128.and') : f.get(value(k)));
    p.grads.forEach((k, gi) => {
      reduced(k).set(m[0]);
      for (let r = 0; r < 4; r++) {
        f.get(m[0], m[0]).lanes([r, r, r, r]).set(m[1]);
        for (let j = 0; j < V; j++) {
          const acc = lAcc[(gi * SETS + ((r + 4 * c) % SETS)) * V + j];
          madd(() => f.get(m[1]), () => f.get(xr[r * V + j]), acc);
          f.set(acc);
        }
      }
    });
    p.sums.forEach((k, si) => {
      reduced(k).set(m[0]);
      f.get(lSum[2 * si], m[0]).op('f64x2.promote_low_f32x4').op('f64x2.add').set(lSum[2 * si]);
      f.get(lSum[2 * si + 1], m[0], m[0]).lanes([2, 3, 2, 3]).op('f64x2.promote_low_f32x4').op('f64x2.add').set(lSum[2 * si + 1]);
    });
  };
  const rowBytes = 4 * p.K;
  /** The four row pointers of copy c's registers: rows 4·(g + c) .. of X, where lG holds g. */
  const rows = (c: number, groupAt: Local, first: number) => {
    for (let r = 0; r < 4; r++) f.get(lx, groupAt).i32(4 * rowBytes).op('i32.mul').op('i32.add').i32((first + r) * rowBytes).op('i32.add').set(rowC[c][r]);
  };
  f.i32(0).set(lG).i32(0).set(lOff);
  f.block().loop().get(lG).i32(C).op('i32.add').get(lGroups).op('i32.gt_s').brIf(1);
  for (let c = 0; c < C; c++) rows(c, lG, 4 * c);
  for (let c = 0; c < C; c++) group(false, c);
  f.get(lOff).i32(16 * C).op('i32.add').set(lOff);
  f.get(lG).i32(C).op('i32.add').set(lG).br(0).end().end();
  if (C > 1)
    f.forUp(lG, lGroups, 1, () => {
      rows(0, lG, 0);
      group(false, 0);
      f.get(lOff).i32(16).op('i32.add').set(lOff);
    });
  // the tail: rows past the last read row 0
  f.get(lTail).if();
  for (let r = 0; r < 4; r++) {
    f.get(lx, lGroups).i32(4 * rowBytes).op('i32.mul').op('i32.add').i32(r * rowBytes).op('i32.add'); // the row
    f.get(lx, lTail).i32(r).op('i32.gt_s').select().set(rowC[0][r]); // or row 0
  }
  f.get(lMask).op('v128.load', 0).set(lMaskV);
  group(true);
  f.end();
  // results: the sets of accumulators added; the sums' partials stored
  const m = per[0].m;
  p.grads.forEach((_, gi) => {
    for (let j = 0; j < V; j++) {
      f.get(lAcc[gi * SETS * V + j]);
      for (let r = 1; r < SETS; r++) f.get(lAcc[(gi * SETS + r) * V + j]).op('f32x4.add');
      f.set(m[0]);
      // K floats exactly: the last vector's first K mod 4 lanes where K is not a multiple of 4
      const lanesHere = j === V - 1 && part ? part : 4;
      if (lanesHere === 4) f.get(ptrG[gi], m[0]).op('v128.store', 16 * j);
      if (lanesHere === 2 || lanesHere === 3) f.get(ptrG[gi], m[0]).op('v128.store64_lane', 16 * j, 0);
      if (lanesHere === 1 || lanesHere === 3) f.get(ptrG[gi], m[0]).op('v128.store32_lane', 16 * j + 4 * (lanesHere - 1), lanesHere - 1);
    }
  });
  p.sums.forEach((_, si) => f.get(ptrS[si], lSum[2 * si]).op('v128.store', 0).get(ptrS[si], lSum[2 * si + 1]).op('v128.store', 16));
  // and the totals asked for: (p0 + p1) + (p2 + p3) in float64, then rounded to float32
  const lane = (l: Local, k: number) => f.get(l).op('f64x2.extract_lane', k);
  p.sums.forEach((_, si) => {
    const [lo, hi] = [lSum[2 * si], lSum[2 * si + 1]];
    f.get(ptrT[si]).if().get(ptrT[si]);
    lane(lo, 0);
    lane(lo, 1);
    f.op('f64.add');
    lane(hi, 0);
    lane(hi, 1);
    f.op('f64.add').op('f64.add').op('f32.demote_f64').op('f32.store', 0).end();
  });
  return f.func();
}

/** The compiled kernel of a program for a shared memory (the heap), or null where it does not compile. */
export function rowKernelFor(p: RowProgram, memory: WebAssembly.Memory, fma: boolean): ShapeKernel | null {
  const key = `rows|${fma}|${p.K}|${p.operands.join(',')}|${p.steps.map((s) => `${s.name}(${s.args.join(',')})`).join(';')}|${p.stores}|${p.grads}|${p.sums}`;
  return shapeKernel(key, () => rowKernel(p, fma), memory);
}
