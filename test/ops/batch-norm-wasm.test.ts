// BatchNormTrain's WebAssembly forward (runtime/kernels/wasm/batch-norm.ts), which float32 plans run on
// buffers in the heap, against the op's JS kernel (the same op run on buffers outside the heap), bit for
// bit (the SIMD form, for planes of whole vectors, within a last-bit rounding): shapes with one value a
// channel per image up to wide planes, values spread over many exponents.
import { describe, expect, it } from 'vitest';
import '../../compiler/ops/index.ts';
import { getOp } from '../../compiler/ops/op.ts';
import { heap } from '../../runtime/kernels/heap.ts';
import type { Node } from '../../compiler/ir/node.ts';

const h = heap()!;

function values(n: number, seed: number): Float32Array {
  let r = seed;
  const rand = () => ((r = (r * 1103515245 + 12345) >>> 0) >>> 8) / 2 ** 24;
  return Float32Array.from({ length: n }, () => (rand() - 0.3) * 2 ** Math.floor(rand() * 24 - 12));
}

describe('BatchNormTrain in WebAssembly', () => {
  for (const shape of [[64, 16, 4, 4], [5, 16, 4, 4], [3, 2, 8], [3, 2, 7], [1, 3, 1, 1], [2, 5, 9, 11], [8, 4]])
    it(`gives the JS kernel's values for x ${shape.join('×')}`, () => {
      const C = shape[1], n = shape.reduce((p, d) => p * d, 1);
      const op = getOp('BatchNormTrain');
      const kernel = op.kernel!({ node: null as unknown as Node, inShapes: [shape, [C], [C], [C], [C]], outShape: shape, attrs: { eps: 1e-5, momentum: 0.1 }, precision: 'f32' });
      expect(kernel.path).toBe('WebAssembly');
      const ins = [values(n, n), values(C, 7), values(C, 8), new Float32Array(C), new Float32Array(C).fill(1)];
      const outside = new Float32Array(n), inside = h.alloc(n);
      kernel(ins, outside);
      kernel(ins.map((v) => h.copyOf(v)), inside);
      const plane = n / shape[0] / C;
      if (plane % 4 !== 0) expect(new Uint32Array(inside.buffer, inside.byteOffset, n)).toEqual(new Uint32Array(outside.buffer));
      // the SIMD kernel's float64 sums run in another order: the same values but for a last-bit rounding
      else for (let i = 0; i < n; i++) expect(Math.abs(inside[i] - outside[i]), `${i}`).toBeLessThanOrEqual(2 ** -23 * Math.abs(outside[i]));
    });
});

// BatchNormTrainGrad's WebAssembly kernel sums in float64 as the JS kernel does, in another order, and
// writes dx in float32 arithmetic: within float32 rounding of the JS kernel's values.
describe('BatchNormTrainGrad in WebAssembly', () => {
  for (const out of ['x', 'scale'])
    for (const shape of [[64, 16, 4, 4], [5, 3, 4], [1, 2, 2, 2], [7, 5, 8]])
      it(`is the JS kernel's gradient for ${out}, x ${shape.join('×')}`, () => {
        const C = shape[1], n = shape.reduce((p, d) => p * d, 1), m = out === 'x' ? n : C;
        const kernel = getOp('BatchNormTrainGrad').kernel!({ node: null as unknown as Node, inShapes: [shape, [C], shape], outShape: out === 'x' ? shape : [C], attrs: { eps: 1e-5, out }, precision: 'f32' });
        expect(kernel.path).toBe('WebAssembly');
        const x = values(n, n).map((v, i) => v + (i % 3)), ins = [x, values(C, 7), values(n, 9)];
        const outside = new Float32Array(m), inside = h.alloc(m);
        kernel(ins, outside);
        kernel(ins.map((v) => h.copyOf(v)), inside);
        const scale = outside.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
        for (let i = 0; i < m; i++) expect(Math.abs(inside[i] - outside[i]), `${i}`).toBeLessThanOrEqual(4e-6 * scale);
        expect(inside).not.toEqual(new Float32Array(m));
      });
});

// BatchNormRunning's WebAssembly kernel against its JS kernel (both float64, the sums in another order).
describe('BatchNormRunning in WebAssembly', () => {
  for (const out of ['mean', 'var'])
    for (const shape of [[64, 16, 4, 4], [5, 3, 4], [2, 6, 8]])
      it(`is the JS kernel's next running ${out}, x ${shape.join('×')}`, () => {
        const C = shape[1], n = shape.reduce((p, d) => p * d, 1);
        const kernel = getOp('BatchNormRunning').kernel!({ node: null as unknown as Node, inShapes: [shape, [C]], outShape: [C], attrs: { momentum: 0.1, out }, precision: 'f32' });
        expect(kernel.path).toBe('WebAssembly');
        const ins = [values(n, n).map((v, i) => v + (i % 5)), values(C, 3)];
        const outside = new Float32Array(C), inside = h.alloc(C);
        kernel(ins, outside);
        kernel(ins.map((v) => h.copyOf(v)), inside);
        for (let i = 0; i < C; i++) expect(Math.abs(inside[i] - outside[i]), `${i}`).toBeLessThanOrEqual(2 ** -23 * Math.abs(outside[i]));
        expect(outside.some((v, i) => v !== ins[1][i])).toBe(true);
      });
});
