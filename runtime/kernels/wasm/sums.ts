/**
 * Sums of float32 data kept in float64, in WebAssembly SIMD (each f32x4 promoted to two f64x2), for the
 * reductions of float32 plans in the heap:
 *   sumAll(x, nb, acc)            Σ of nb bytes of x (a multiple of 32), as four f64x2 partial sums
 *                                 stored at acc (eight doubles; lanes 0–3 and 4–7 of each 8-float group
 *                                 in their own sums, so consecutive adds do not wait on each other)
 *   sumCols(x, rows, rb, acc)     acc[j] += Σ_r x[r, j] for rows of rb bytes (a multiple of 16), acc
 *                                 holding rb/4 doubles (the caller zeroes it): a sum over a batch axis
 * The JS kernels (runtime/kernels/reduce.ts) also sum in float64; the order of the additions differs.
 */
import { I32, V128, op, simd as I, type Func } from './asm.ts';
import { heapKernels } from './module.ts';

const { promoteLow, f64x2Add } = I;
// lanes 2 and 3 of a f32x4 moved to lanes 0 and 1
const highHalf = I.lanes([2, 3, 2, 3]);
const zero = I.f32(0);

export function sumAllKernel(): Func {
  const P = { x: 0, nb: 1, acc: 2 };
  const L = { i: 3, v: 4, s: 5 }; // s .. s+3: the four f64x2 sums
  const b: number[] = [];
  const emit = (...xs: number[][]) => xs.forEach((x) => b.push(...x));
  for (let j = 0; j < 4; j++) emit(zero, op.set(L.s + j));
  emit(op.i32(0), op.set(L.i));
  emit(op.block, op.loop, op.get(L.i), op.get(P.nb), op.geS, op.brIf(1));
  for (let c = 0; c < 2; c++) {
    emit(op.get(P.x), op.get(L.i), op.add, op.v128Load(16 * c), op.set(L.v));
    emit(op.get(L.s + 2 * c), op.get(L.v), promoteLow, f64x2Add, op.set(L.s + 2 * c));
    emit(op.get(L.s + 2 * c + 1), op.get(L.v), op.get(L.v), highHalf, promoteLow, f64x2Add, op.set(L.s + 2 * c + 1));
  }
  emit(op.get(L.i), op.i32(32), op.add, op.set(L.i), op.br(0), op.end, op.end);
  for (let j = 0; j < 4; j++) emit(op.get(P.acc), op.get(L.s + j), op.v128Store(16 * j));
  return { name: 'sumAll', params: Array(3).fill(I32), locals: [I32, V128, ...Array(4).fill(V128)], body: b };
}

export function sumColsKernel(): Func {
  const P = { x: 0, rows: 1, rb: 2, acc: 3 };
  const L = { r: 4, j: 5, px: 6, pa: 7, v: 8 };
  const b: number[] = [];
  const emit = (...xs: number[][]) => xs.forEach((x) => b.push(...x));
  emit(op.get(P.x), op.set(L.px), op.i32(0), op.set(L.r));
  emit(op.block, op.loop, op.get(L.r), op.get(P.rows), op.geS, op.brIf(1));
  emit(op.i32(0), op.set(L.j), op.get(P.acc), op.set(L.pa));
  emit(op.block, op.loop, op.get(L.j), op.get(P.rb), op.geS, op.brIf(1));
  emit(op.get(L.px), op.get(L.j), op.add, op.v128Load(0), op.set(L.v));
  emit(op.get(L.pa), op.get(L.pa), op.v128Load(0), op.get(L.v), promoteLow, f64x2Add, op.v128Store(0));
  emit(op.get(L.pa), op.get(L.pa), op.v128Load(16), op.get(L.v), op.get(L.v), highHalf, promoteLow, f64x2Add, op.v128Store(16));
  emit(op.get(L.pa), op.i32(32), op.add, op.set(L.pa));
  emit(op.get(L.j), op.i32(16), op.add, op.set(L.j), op.br(0), op.end, op.end);
  emit(op.get(L.px), op.get(P.rb), op.add, op.set(L.px));
  emit(op.get(L.r), op.i32(1), op.add, op.set(L.r), op.br(0), op.end, op.end);
  return { name: 'sumCols', params: Array(4).fill(I32), locals: [...Array(4).fill(I32), V128], body: b };
}

export interface SumKernels {
  readonly sumAll: (x: number, nb: number, acc: number) => void;
  readonly sumCols: (x: number, rows: number, rb: number, acc: number) => void;
}

/** The kernels bound to a shared memory (the heap), or null where they cannot be compiled. */
export const sumKernels = heapKernels<SumKernels>(() => [sumAllKernel(), sumColsKernel()]);
