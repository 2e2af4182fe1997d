/**
 * The batched product's kernel (runtime/kernels/batch-matmul.ts) against the plain definition
 * (test/support/batched-product.ts: each output a float64 sum, numpy's batch broadcasting spelled out by index), on shapes that take
 * each path, in float32 and float64 plans; and a plan that runs it constructs no typed array after its
 * first run, nor when given new views of the same memory. The checks against numpy and PyTorch are in
 * test/ops/batch-matmul.slow.test.ts.
 */
import { describe, expect, it } from 'vitest';
import '../../compiler/ops/index.ts';
import * as B from '../../compiler/ir/build.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import { Plan } from '../../runtime/plan.ts';
import { heap } from '../../runtime/kernels/heap.ts';
import { randoms } from '../support/run.ts';
import { batchedProduct as definition } from '../support/batched-product.ts';

const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);


function planOf(as: number[], bs: number[], precision: 'f32' | 'f64' = 'f32') {
  const a = B.mk('Input', [], { name: 'a', shape: as, dtype: 'f32' }), b = B.mk('Input', [], { name: 'b', shape: bs, dtype: 'f32' });
  const y = B.mk('BatchMatMul', [a, b]);
  const plan = new Plan(new Graph([{ name: 'y', node: y }]), new Map([['a', as], ['b', bs]]), { precision });
  return { plan, y, path: plan.report().kernels.find((k) => k.node.op === 'BatchMatMul')!.path };
}

describe('BatchMatMul kernel', () => {
  const shapes: [number[], number[], string][] = [
    [[3, 2, 36, 40], [3, 2, 40, 33], 'WebAssembly SIMD GEMM, for each of 6 batch slices [36,40]·[40,33]'],
    [[2, 3, 13, 64], [3, 64, 45], 'WebAssembly SIMD GEMM, for each of 6'],
    [[2, 3, 13, 64], [2, 1, 64, 45], 'WebAssembly SIMD GEMM, for each of 2 batch slices [39,64]·[64,45]'],
    [[5, 13, 64], [64, 45], 'WebAssembly SIMD GEMM, the batch as one product [65,64]·[64,45]'],
    [[1, 40, 64], [4, 64, 30], 'WebAssembly SIMD GEMM, for each of 4'],
    [[4, 1, 500], [4, 500, 9], 'matrix-vector product, for each of 4'],
    [[2, 3, 4, 5], [3, 5, 2], 'JavaScript (a product too small'],
  ];
  for (const [as, bs, path] of shapes)
    it(`[${as}]·[${bs}]: the definition's values, on the path '${path}'`, () => {
      const a = randoms(size(as), size(as)), b = randoms(size(bs), size(bs) + 1);
      const want = definition(a, as, b, bs);
      for (const precision of ['f32', 'f64'] as const) {
        const { plan, y, path: got } = planOf(as, bs, precision);
        expect(y.shape).toEqual(want.shape);
        if (precision === 'f32' && heap()) expect(got).toContain(path);
        const Arr = precision === 'f32' ? Float32Array : Float64Array;
        plan.run(new Map([['a', Arr.from(a) as Float32Array], ['b', Arr.from(b) as Float32Array]]));
        const out = plan.value(y).data;
        const K = as[as.length - 1];
        // float32: K roundings of sums of terms below 1; float64: the same sums
        const tol = precision === 'f32' ? K * 2 ** -23 : 1e-12;
        want.y.forEach((v, i) => expect(Math.abs(out[i] - v), `${precision} [${i}]`).toBeLessThanOrEqual(tol));
      }
    });

  it('makes no typed array or view after the first run, with new views of the same buffers too', () => {
    const as = [2, 3, 13, 64], bs = [3, 64, 45];
    const { plan } = planOf(as, bs);
    const h = heap();
    const a = h ? h.copyOf(randoms(size(as), 1)) : Float32Array.from(randoms(size(as), 1));
    const b = h ? h.copyOf(randoms(size(bs), 2)) : Float32Array.from(randoms(size(bs), 2));
    // a new view of each buffer for every run (a data set's rows taken again)
    const views = Array.from({ length: 52 }, () => [a, b].map((x) => new Float32Array(x.buffer, x.byteOffset, x.length)));
    plan.runWith(views[50]);
    plan.runWith(views[51]);
    // constructors and subarray (whose views do not go through the global constructors) counted
    const g = globalThis as unknown as Record<string, unknown>;
    const kinds = ['Float32Array', 'Float64Array', 'Int32Array'];
    const saved = kinds.map((k) => g[k]);
    const subarray = Float32Array.prototype.subarray;
    let count = 0;
    kinds.forEach((k, i) => (g[k] = new Proxy(saved[i] as object, { construct: (t, args, nt) => (count++, Reflect.construct(t as new (...x: unknown[]) => object, args, nt)) })));
    Float32Array.prototype.subarray = function (this: Float32Array, begin?: number, end?: number) {
      count++;
      return subarray.call(this, begin, end);
    } as typeof subarray;
    try {
      for (let i = 0; i < 50; i++) plan.runWith(views[i]);
    } finally {
      kinds.forEach((k, i) => (g[k] = saved[i]));
      Float32Array.prototype.subarray = subarray;
    }
    expect(count).toBe(0);
    if (h) [a, b].forEach((x) => h.free(x));
  });
});
