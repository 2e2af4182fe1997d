// Sums and means whose kept axes sit between reduced ones (a convolution bias's gradient: [N, C, H, W]
// summed over N, H and W), against naive float64 loops over every index; outside the runtime's heap (the
// JS loops) and in it (from 256 elements with rows of whole vectors, the WebAssembly column sums).
import { describe, expect, it } from 'vitest';
import { reduceKernel } from '../../runtime/kernels/reduce.ts';
import { heap } from '../../runtime/kernels/heap.ts';

const cases: [string, number[], number[]][] = [
  ['[N,C,H,W] over N, H, W', [3, 5, 4, 7], [0, 2, 3]],
  ['[N,C,H,W] over N, W', [2, 3, 5, 6], [0, 3]],
  ['[A,B,C,D] over A, D (two kept axes)', [2, 3, 4, 9], [0, 3]],
  ['[N,C,L] over N, L (inner not a multiple of 4)', [4, 6, 5], [0, 2]],
  ['[N,C,H,W] over N, H, W (a batch norm\'s sums: 64 rows of 256)', [64, 16, 4, 4], [0, 2, 3]],
  ['[N,C,H,W] over N, H, W (rows of 54, not whole vectors)', [9, 6, 3, 3], [0, 2, 3]],
];

function naive(x: Float32Array, shape: number[], axes: number[], mean: boolean): Float64Array {
  const kept = shape.map((_, d) => d).filter((d) => !axes.includes(d));
  const out = new Float64Array(kept.reduce((p, d) => p * shape[d], 1));
  const idx = shape.map(() => 0);
  for (let i = 0; i < x.length; i++) {
    for (let d = shape.length - 1, r = i; d >= 0; d--) { idx[d] = r % shape[d]; r = Math.floor(r / shape[d]); }
    const slot = kept.reduce((s, d) => s * shape[d] + idx[d], 0);
    out[slot] += x[i];
  }
  const count = axes.reduce((p, a) => p * shape[a], 1);
  return mean ? out.map((v) => v / count) : out;
}

describe('reductions with the kept axes between reduced ones', () => {
  for (const [name, shape, axes] of cases)
    for (const kind of ['sum', 'mean'] as const)
      it(`${kind}, ${name}`, () => {
        const n = shape.reduce((p, d) => p * d, 1);
        const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.7) * 3 + (i % 3));
        const ref = naive(x, shape, axes, kind === 'mean');
        const out = new Float32Array(ref.length).fill(NaN);
        const h = heap()!, owner = {};
        const xh = h.alloc(n, owner), outH = h.alloc(ref.length, owner).fill(NaN);
        xh.set(x);
        reduceKernel(kind, shape, axes, 'f32')([x], out);
        reduceKernel(kind, shape, axes, 'f32')([xh], outH);
        for (const got of [out, outH]) for (let i = 0; i < ref.length; i++) expect(Math.abs(got[i] - ref[i])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(ref[i])));
      });
});
