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
import type { Func } from './asm.ts';
import { FunctionBuilder, type Local } from './builder.ts';
import { heapKernels } from './module.ts';

/** sum += the low two lanes of v, promoted (f64x2); `high`: lanes 2 and 3, moved to lanes 0 and 1 first. */
const addHalf = (f: FunctionBuilder, v: Local, high: boolean) => {
  f.get(v);
  if (high) f.get(v).lanes([2, 3, 2, 3]);
  return f.op('f64x2.promote_low_f32x4').op('f64x2.add');
};

export function sumAllKernel(): Func {
  const f = new FunctionBuilder('sumAll', Array(3).fill('i32'));
  const [x, nb, acc] = f.params;
  const i = f.local('i32'), v = f.local('v128'), s = f.locals('v128', 4); // the four f64x2 sums
  for (const l of s) f.f32x4(0).set(l);
  f.i32(0).set(i);
  f.forUp(i, nb, 32, () => {
    for (let c = 0; c < 2; c++) {
      f.get(x, i).op('i32.add').op('v128.load', 16 * c).set(v);
      addHalf(f.get(s[2 * c]), v, false).set(s[2 * c]);
      addHalf(f.get(s[2 * c + 1]), v, true).set(s[2 * c + 1]);
    }
  });
  s.forEach((l, j) => f.get(acc, l).op('v128.store', 16 * j));
  return f.func();
}

export function sumColsKernel(): Func {
  const f = new FunctionBuilder('sumCols', Array(4).fill('i32'));
  const [x, rows, rb, acc] = f.params;
  const [r, j, px, pa] = f.locals('i32', 4), v = f.local('v128');
  f.get(x).set(px).i32(0).set(r);
  f.forUp(r, rows, 1, () => {
    f.i32(0).set(j).get(acc).set(pa);
    f.forUp(j, rb, 16, () => {
      f.get(px, j).op('i32.add').op('v128.load').set(v);
      addHalf(f.get(pa, pa).op('v128.load', 0), v, false).op('v128.store', 0);
      addHalf(f.get(pa, pa).op('v128.load', 16), v, true).op('v128.store', 16);
      f.get(pa).i32(32).op('i32.add').set(pa);
    });
    f.get(px, rb).op('i32.add').set(px);
  });
  return f.func();
}

export interface SumKernels {
  readonly sumAll: (x: number, nb: number, acc: number) => void;
  readonly sumCols: (x: number, rows: number, rb: number, acc: number) => void;
}

/** The kernels bound to a shared memory (the heap), or null where they cannot be compiled. */
export const sumKernels = heapKernels<SumKernels>(() => [sumAllKernel(), sumColsKernel()]);
