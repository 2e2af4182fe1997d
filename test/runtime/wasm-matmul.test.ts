/** The WebAssembly SIMD matmul against the plain definition (float64), every layout, edges included. */
import { describe, expect, it } from 'vitest';
import { WasmMatmul } from '../../runtime/kernels/wasm/gemm.ts';
import { matmulReference, matmulKernel } from '../../runtime/kernels/matmul.ts';
import { randoms } from '../support/run.ts';

describe('WebAssembly SIMD matmul', () => {
  const w = new WasmMatmul();
  const shapes = [[4, 1, 8], [7, 13, 19], [16, 300, 24], [130, 257, 67], [128, 784, 256], [3, 5, 7]];
  for (const [M, K, N] of shapes)
    for (const tA of [false, true])
      for (const tB of [false, true])
        it(`${M}x${K}x${N} transA=${tA} transB=${tB}`, () => {
          const a = Float32Array.from(randoms(M * K, M + K)), b = Float32Array.from(randoms(K * N, N + 3));
          const c = new Float32Array(M * N).fill(NaN);
          w.run(a, b, c, M, K, N, tA, tB);
          const ref = matmulReference(a, b, M, K, N, tA, tB);
          c.forEach((v, i) => expect(Math.abs(v - ref[i]), `${i}`).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(ref[i])) * Math.sqrt(K)));
        });
  it('the runtime picks it for large products and the result is the same', () => {
    const [M, K, N] = [64, 200, 32];
    const a = Float32Array.from(randoms(M * K, 1)), b = Float32Array.from(randoms(K * N, 2));
    const c = new Float32Array(M * N);
    matmulKernel(M, K, N)([a, b], c);
    const ref = matmulReference(a, b, M, K, N, false, false);
    c.forEach((v, i) => expect(Math.abs(v - ref[i])).toBeLessThanOrEqual(1e-4));
  });
});
