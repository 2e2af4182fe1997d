/**
 * Softmax over rows of n floats (the last axis), in one WebAssembly function for float32 plans: each
 * row's maximum subtracted (float32), the exps of the whole block as f32x4 vectors (the exp of the Exp
 * op's SIMD rule), then each row divided by its sum, the sum and the division in float64 (as the JS
 * loops of the large-block softmax, compiler/ops/softmax.ts, do around the same exps).
 * softmaxRows(x, out, rows, n, nb): nb is the bytes of the whole vectors covering rows·n floats; the
 * last vector's extra lanes are exps of whatever follows the rows in out's buffer (the plan's buffers
 * take whole vectors) and are not read back.
 */
import type { Func } from './asm.ts';
import { FunctionBuilder, type Local } from './builder.ts';
import { expF32x4, MATH_SCRATCH } from './math.ts';
import { heapKernels } from './module.ts';

export function softmaxRowsKernel(): Func {
  const f = new FunctionBuilder('softmaxRows', Array(5).fill('i32'));
  const [x, out, rows, n, nb] = f.params;
  const [o, k, row, i] = f.locals('i32', 4), m = f.local('f32'), s = f.local('f64'), v = f.local('v128'), scratch = f.locals('v128', MATH_SCRATCH);
  /** for (k = 0; k < n; k++) body, with row = o·n·4 set before */
  const overRow = (body: () => void) => f.i32(0).set(k).forUp(k, n, 1, body);
  const at = (base: Local) => f.get(base, row).op('i32.add').get(k).i32(4).op('i32.mul').op('i32.add');
  const overRows = (body: () => void) =>
    f.i32(0).set(o).forUp(o, rows, 1, () => {
      f.get(o, n).op('i32.mul').i32(4).op('i32.mul').set(row);
      body();
    });
  // out = x − max(row)
  overRows(() => {
    f.f32(-Infinity).set(m);
    overRow(() => {
      f.get(m);
      at(x).op('f32.load').op('f32.max').set(m);
    });
    overRow(() => {
      at(out);
      at(x).op('f32.load').get(m).op('f32.sub').op('f32.store');
    });
  });
  // the exps, vector by vector
  f.i32(0).set(i).forUp(i, nb, 16, () => {
    f.get(out, i).op('i32.add').op('v128.load').set(v);
    f.get(out, i).op('i32.add');
    expF32x4(f, v, scratch);
    f.op('v128.store');
  });
  // each row over its float64 sum
  overRows(() => {
    f.f64(0).set(s);
    overRow(() => {
      f.get(s);
      at(out).op('f32.load').op('f64.promote_f32').op('f64.add').set(s);
    });
    overRow(() => {
      at(out);
      at(out).op('f32.load').op('f64.promote_f32').get(s).op('f64.div').op('f32.demote_f64').op('f32.store');
    });
  });
  return f.func();
}

export interface SoftmaxKernels {
  softmaxRows(x: number, out: number, rows: number, n: number, nb: number): void;
}

/** The kernel for the heap's memory (null where it does not compile). */
export const softmaxKernels = heapKernels<SoftmaxKernels>(() => [softmaxRowsKernel()]);
