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
import { I32, V128, op, simd, type Func } from './asm.ts';
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

const { add, mul, and, promoteLow, f64x2Add, lanes } = simd;
const zero = simd.f32(0);
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
  /** Clears the lanes past K of a row's (or w's) last vector, where K is not a multiple of 4. */
  const clearPast = (j: number) => (part && j === V - 1 ? [...simd.firstLanes(part), ...and] : []);
  const nOps = p.operands.length, nSt = p.stores.length, nG = p.grads.length, nS = p.sums.length;
  // i32 locals after the one parameter (args)
  let next = 1;
  const i32 = (n: number) => ((next += n), next - n);
  const C = copies;
  const lx = i32(1), lGroups = i32(1), lTail = i32(1), lMask = i32(1), lG = i32(1), lOff = i32(1);
  const lRowC = Array.from({ length: C }, () => i32(4));
  const lPtr = i32(nOps + nSt + nG + 2 * nS);
  const firstV = next;
  const v128 = (n: number) => ((next += n), next - n);
  const lW = v128(V), lScalar = v128(nOps), lAcc = v128(nG * SETS * V), lSum = v128(2 * nS), lMaskV = v128(1);
  const per = Array.from({ length: C }, () => ({ lOp: v128(nOps), lXr: v128(4 * V), lDot: v128(4), lZ: v128(1), lStep: v128(p.steps.length), lScratch: v128(MATH_SCRATCH), lM: v128(2) }));
  let lOp = 0, lXr = 0, lDot = 0, lZ = 0, lStep = 0, lScratch = 0, lM = 0, lRow = 0;
  const use = (c: number) => { ({ lOp, lXr, lDot, lZ, lStep, lScratch, lM } = per[c]); lRow = lRowC[c]; };
  const b: number[] = [];
  const emit = (...xs: number[][]) => xs.forEach((x) => b.push(...x));
  const arg = (k: number) => [...op.get(0), ...op.i32Load(4 * k)];
  const ptrOp = (j: number) => lPtr + j, ptrSt = (j: number) => lPtr + nOps + j, ptrG = (j: number) => lPtr + nOps + nSt + j, ptrS = (j: number) => lPtr + nOps + nSt + nG + j, ptrT = (j: number) => lPtr + nOps + nSt + nG + nS + j;
  const value = (k: number) => (k === -1 ? lZ : k <= -2 ? (p.operands[-k - 2] === 'row' ? lOp : lScalar) + (-k - 2) : lStep + k);
  const madd = (a: number[], x: number[], acc: number[]) => (fma ? [...a, ...x, ...acc, ...op.f32x4RelaxedMadd] : [...acc, ...a, ...x, ...mul, ...add]);

  emit(arg(ARG.x), op.set(lx), arg(ARG.groups), op.set(lGroups), arg(ARG.tail), op.set(lTail), arg(ARG.mask), op.set(lMask));
  for (let j = 0; j < nOps + nSt + nG + 2 * nS; j++) emit(arg(ARG.first + j), op.set(lPtr + j));
  emit(arg(ARG.w), op.set(lG));
  for (let j = 0; j < V; j++) emit(op.get(lG), op.v128Load(16 * j), clearPast(j), op.set(lW + j));
  p.operands.forEach((kind, j) => kind === 'scalar' && emit(op.get(ptrOp(j)), op.load32Splat(0), op.set(lScalar + j)));
  for (let j = 0; j < nG * SETS * V; j++) emit(zero, op.set(lAcc + j));
  for (let j = 0; j < 2 * nS; j++) emit(zero, op.set(lSum + j));

  /** One group of four rows (copy c's registers) at its row pointers, byte offset lOff + 16c into the per-row buffers. */
  const group = (masked: boolean, c = 0) => {
    use(c);
    for (let r = 0; r < 4; r++) {
      for (let j = 0; j < V; j++) emit(op.get(lRow + r), op.v128Load(16 * j), clearPast(j), op.set(lXr + r * V + j));
      emit(op.get(lXr + r * V), op.get(lW), mul, op.set(lDot + r));
      for (let j = 1; j < V; j++) emit(madd(op.get(lXr + r * V + j), op.get(lW + j), op.get(lDot + r)), op.set(lDot + r));
    }
    // z = the four rows' sums, one lane each (as matvec4 reduces)
    emit(op.get(lDot), op.get(lDot + 1), lanes([0, 1, 4, 5]), op.get(lDot), op.get(lDot + 1), lanes([2, 3, 6, 7]), add, op.set(lM));
    emit(op.get(lDot + 2), op.get(lDot + 3), lanes([0, 1, 4, 5]), op.get(lDot + 2), op.get(lDot + 3), lanes([2, 3, 6, 7]), add, op.set(lM + 1));
    emit(op.get(lM), op.get(lM + 1), lanes([0, 2, 4, 6]), op.get(lM), op.get(lM + 1), lanes([1, 3, 5, 7]), add, op.set(lZ));
    p.operands.forEach((kind, j) => kind === 'row' && emit(op.get(ptrOp(j)), op.get(lOff), op.add, op.v128Load(16 * c), op.set(lOp + j)));
    const scratch = Array.from({ length: MATH_SCRATCH }, (_, m) => lScratch + m);
    for (const [s, st] of p.steps.entries()) emit(st.rule(...st.args.map(value), ...scratch), op.set(lStep + s));
    p.stores.forEach((k, j) => emit(op.get(ptrSt(j)), op.get(lOff), op.add, op.get(value(k)), op.v128Store(16 * c)));
    // the reductions see only real rows: in the tail group, the mask's lanes are zero past the last row
    const reduced = (k: number) => (masked ? [...op.get(value(k)), ...op.get(lMaskV), ...and] : op.get(value(k)));
    p.grads.forEach((k, gi) => {
      emit(reduced(k), op.set(lM));
      for (let r = 0; r < 4; r++) {
        emit(op.get(lM), op.get(lM), lanes([r, r, r, r]), op.set(lM + 1));
        for (let j = 0; j < V; j++) {
          const acc = lAcc + (gi * SETS + ((r + 4 * c) % SETS)) * V + j;
          emit(madd(op.get(lM + 1), op.get(lXr + r * V + j), op.get(acc)), op.set(acc));
        }
      }
    });
    p.sums.forEach((k, si) => {
      emit(reduced(k), op.set(lM));
      emit(op.get(lSum + 2 * si), op.get(lM), promoteLow, f64x2Add, op.set(lSum + 2 * si));
      emit(op.get(lSum + 2 * si + 1), op.get(lM), op.get(lM), lanes([2, 3, 2, 3]), promoteLow, f64x2Add, op.set(lSum + 2 * si + 1));
    });
  };
  const rowBytes = 4 * p.K;
  emit(op.i32(0), op.set(lG), op.i32(0), op.set(lOff));
  emit(op.block, op.loop, op.get(lG), op.i32(C), op.add, op.get(lGroups), op.gtS, op.brIf(1));
  for (let c = 0; c < C; c++) for (let r = 0; r < 4; r++) emit(op.get(lx), op.get(lG), op.i32(4 * rowBytes), op.mul, op.add, op.i32((4 * c + r) * rowBytes), op.add, op.set(lRowC[c] + r));
  for (let c = 0; c < C; c++) group(false, c);
  emit(op.get(lOff), op.i32(16 * C), op.add, op.set(lOff));
  emit(op.get(lG), op.i32(C), op.add, op.set(lG), op.br(0), op.end, op.end);
  if (C > 1) {
    emit(op.block, op.loop, op.get(lG), op.get(lGroups), op.geS, op.brIf(1));
    for (let r = 0; r < 4; r++) emit(op.get(lx), op.get(lG), op.i32(4 * rowBytes), op.mul, op.add, op.i32(r * rowBytes), op.add, op.set(lRowC[0] + r));
    group(false, 0);
    emit(op.get(lOff), op.i32(16), op.add, op.set(lOff));
    emit(op.get(lG), op.i32(1), op.add, op.set(lG), op.br(0), op.end, op.end);
  }
  // the tail: rows past the last read row 0
  emit(op.get(lTail), op.if_);
  for (let r = 0; r < 4; r++) {
    emit(op.get(lx), op.get(lGroups), op.i32(4 * rowBytes), op.mul, op.add, op.i32(r * rowBytes), op.add); // the row
    emit(op.get(lx), op.get(lTail), op.i32(r), op.gtS, op.select, op.set(lRowC[0] + r)); // or row 0
  }
  emit(op.get(lMask), op.v128Load(0), op.set(lMaskV));
  group(true);
  emit(op.end);
  // results: the sets of accumulators added; the sums' partials stored
  p.grads.forEach((_, gi) => {
    for (let j = 0; j < V; j++) {
      emit(op.get(lAcc + gi * SETS * V + j));
      for (let r = 1; r < SETS; r++) emit(op.get(lAcc + (gi * SETS + r) * V + j), add);
      emit(op.set(lM));
      // K floats exactly: the last vector's first K mod 4 lanes where K is not a multiple of 4
      const lanesHere = j === V - 1 && part ? part : 4;
      if (lanesHere === 4) emit(op.get(ptrG(gi)), op.get(lM), op.v128Store(16 * j));
      if (lanesHere === 2 || lanesHere === 3) emit(op.get(ptrG(gi)), op.get(lM), op.store64Lane(16 * j, 0));
      if (lanesHere === 1 || lanesHere === 3) emit(op.get(ptrG(gi)), op.get(lM), op.store32Lane(16 * j + 4 * (lanesHere - 1), lanesHere - 1));
    }
  });
  p.sums.forEach((_, si) => emit(op.get(ptrS(si)), op.get(lSum + 2 * si), op.v128Store(0), op.get(ptrS(si)), op.get(lSum + 2 * si + 1), op.v128Store(16)));
  // and the totals asked for: (p0 + p1) + (p2 + p3) in float64, then rounded to float32
  const lane = (l: number, k: number) => [...op.get(l), 0xfd, 0x21, k]; // f64x2.extract_lane
  const F64_ADD = [0xa0], DEMOTE = [0xb6];
  p.sums.forEach((_, si) => {
    const [lo, hi] = [lSum + 2 * si, lSum + 2 * si + 1];
    emit(op.get(ptrT(si)), op.if_, op.get(ptrT(si)));
    emit(lane(lo, 0), lane(lo, 1), F64_ADD, lane(hi, 0), lane(hi, 1), F64_ADD, F64_ADD, DEMOTE, op.f32Store(0), op.end);
  });
  return { name: 'kernel', params: [I32], locals: [...Array(firstV - 1).fill(I32), ...Array(next - firstV).fill(V128)], body: b };
}

/** The compiled kernel of a program for a shared memory (the heap), or null where it does not compile. */
export function rowKernelFor(p: RowProgram, memory: WebAssembly.Memory, fma: boolean): ShapeKernel | null {
  const key = `rows|${fma}|${p.K}|${p.operands.join(',')}|${p.steps.map((s) => `${s.name}(${s.args.join(',')})`).join(';')}|${p.stores}|${p.grads}|${p.sums}`;
  return shapeKernel(key, () => rowKernel(p, fma), memory);
}
