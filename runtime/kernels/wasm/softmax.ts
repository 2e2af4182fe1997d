/**
 * Softmax over rows of n floats (the last axis), in one WebAssembly function for float32 plans: each
 * row's maximum subtracted (float32), the exps of the whole block as f32x4 vectors (the exp of the Exp
 * op's SIMD rule), then each row divided by its sum, the sum and the division in float64 (as the JS
 * loops of the large-block softmax, compiler/ops/softmax.ts, do around the same exps).
 * softmaxRows(x, out, rows, n, nb): nb is the bytes of the whole vectors covering rows·n floats; the
 * last vector's extra lanes are exps of whatever follows the rows in out's buffer (the plan's buffers
 * take whole vectors) and are not read back.
 */
import { F32, I32, V128, op, type Func } from './asm.ts';
import { expF32x4, MATH_SCRATCH } from './math.ts';
import { heapKernels } from './module.ts';

const F64 = 0x7c;
const f32Const = (x: number) => [0x43, ...new Uint8Array(Float32Array.of(x).buffer)];
const F32_SUB = [0x93], F32_MAX = [0x97], F64_ADD = [0xa0], F64_DIV = [0xa3], PROMOTE = [0xbb], DEMOTE = [0xb6];

export function softmaxRowsKernel(): Func {
  const P = { x: 0, out: 1, rows: 2, n: 3, nb: 4 };
  const L = { o: 5, k: 6, row: 7, i: 8, m: 9, s: 10, v: 11, scratch: 12 };
  const b: number[] = [];
  const emit = (...xs: number[][]) => xs.forEach((x) => b.push(...x));
  /** for (k = 0; k < n; k++) body, with row = o·n·4 set before */
  const overRow = (body: () => void) => {
    emit(op.i32(0), op.set(L.k), op.block, op.loop, op.get(L.k), op.get(P.n), op.geS, op.brIf(1));
    body();
    emit(op.get(L.k), op.i32(1), op.add, op.set(L.k), op.br(0), op.end, op.end);
  };
  const at = (base: number) => [...op.get(base), ...op.get(L.row), ...op.add, ...op.get(L.k), ...op.i32(4), ...op.mul, ...op.add];
  const overRows = (body: () => void) => {
    emit(op.i32(0), op.set(L.o), op.block, op.loop, op.get(L.o), op.get(P.rows), op.geS, op.brIf(1));
    emit(op.get(L.o), op.get(P.n), op.mul, op.i32(4), op.mul, op.set(L.row));
    body();
    emit(op.get(L.o), op.i32(1), op.add, op.set(L.o), op.br(0), op.end, op.end);
  };
  // out = x − max(row)
  overRows(() => {
    emit(f32Const(-Infinity), op.set(L.m));
    overRow(() => emit(op.get(L.m), at(P.x), op.f32Load(0), F32_MAX, op.set(L.m)));
    overRow(() => emit(at(P.out), at(P.x), op.f32Load(0), op.get(L.m), F32_SUB, op.f32Store(0)));
  });
  // the exps, vector by vector
  const scratch = Array.from({ length: MATH_SCRATCH }, (_, j) => L.scratch + j);
  emit(op.i32(0), op.set(L.i), op.block, op.loop, op.get(L.i), op.get(P.nb), op.geS, op.brIf(1));
  emit(op.get(P.out), op.get(L.i), op.add, op.v128Load(0), op.set(L.v));
  emit(op.get(P.out), op.get(L.i), op.add, expF32x4(L.v, scratch), op.v128Store(0));
  emit(op.get(L.i), op.i32(16), op.add, op.set(L.i), op.br(0), op.end, op.end);
  // each row over its float64 sum
  overRows(() => {
    emit([0x44, ...new Uint8Array(Float64Array.of(0).buffer)], op.set(L.s)); // f64.const 0
    overRow(() => emit(op.get(L.s), at(P.out), op.f32Load(0), PROMOTE, F64_ADD, op.set(L.s)));
    overRow(() => emit(at(P.out), at(P.out), op.f32Load(0), PROMOTE, op.get(L.s), F64_DIV, DEMOTE, op.f32Store(0)));
  });
  return { name: 'softmaxRows', params: Array(5).fill(I32), locals: [I32, I32, I32, I32, F32, F64, V128, ...Array(MATH_SCRATCH).fill(V128)], body: b };
}

export interface SoftmaxKernels {
  softmaxRows(x: number, out: number, rows: number, n: number, nb: number): void;
}

/** The kernel for the heap's memory (null where it does not compile). */
export const softmaxKernels = heapKernels<SoftmaxKernels>(() => [softmaxRowsKernel()]);
