/** The JS matmul kernels, each layout against the plain definition (float64). */
import { describe, expect, it } from 'vitest';
import { matmulKernel, matmulReference } from '../../runtime/kernels/matmul.ts';

function rand(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1);
}

describe('matmul kernels', () => {
  const shapes = [[1, 1, 1], [6, 2, 1], [759, 8, 1], [8, 759, 1], [7, 13, 5], [3, 4, 9], [13, 5, 17]];
  for (const [M, K, N] of shapes)
    for (const tA of [false, true])
      for (const tB of [false, true])
        it(`${M}x${K}x${N} transA=${tA} transB=${tB}`, () => {
          const a = rand(M * K, M + K), b = rand(K * N, K * N + 7);
          const c = new Float32Array(M * N);
          matmulKernel(M, K, N, tA, tB)([a, b], c);
          const ref = matmulReference(a, b, M, K, N, tA, tB);
          c.forEach((v, i) => expect(Math.abs(v - ref[i])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(ref[i]))));
        });
});

describe('a product with an inner dimension of 0', () => {
  it('is zeros, by one fill, in every layout and precision', () => {
    for (const precision of ['f32', 'f64'] as const)
      for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]]) {
        const c = new Float32Array(300 * 200).fill(7);
        const k = matmulKernel(300, 0, 200, tA, tB, precision);
        k([new Float32Array(0), new Float32Array(0)], c);
        expect(c.every((v) => v === 0)).toBe(true);
      }
    expect((matmulKernel(300, 0, 200) as { path?: string }).path).toMatch(/inner dimension of 0/);
  });
});
