/** The WebAssembly SIMD matmul against the plain definition (float64), every layout, edges included. */
import { describe, expect, it } from 'vitest';
import { gemm, gemmScratch } from '../../runtime/kernels/wasm/gemm.ts';
import { WasmMatmul, kernelsFor } from '../../runtime/kernels/wasm/gemm-memory.ts';
import { heap } from '../../runtime/kernels/heap.ts';
import { matmulReference, matmulKernel } from '../../runtime/kernels/matmul.ts';
import { randoms } from '../support/run.ts';
import { expectEachClose } from '../support/close.ts';

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
          expectEachClose(c, ref, (r) => 1e-5 * (1 + Math.abs(r)) * Math.sqrt(K));
        });
  it('a transposed B packed in WebAssembly (operands in the heap) gives the bits of the JS packing', () => {
    const h = heap()!, k = kernelsFor(h.memory)!;
    // K: whole and partial groups of four, two K blocks; N: whole panels and a padded tail
    for (const [M, K, N] of [[8, 4, 8], [12, 7, 19], [128, 10, 256], [20, 600, 37]]) {
      const a = h.copyOf(randoms(M * K, K)), b = h.copyOf(randoms(K * N, N));
      const inWasm = h.alloc(M * N), inJs = h.alloc(M * N);
      const scratch = gemmScratch(M, K, N, (n) => h.alloc(n), false, true);
      gemm(k, a, b, inWasm, scratch, M, K, N, false, true, true);
      gemm(k, a, b, inJs, scratch, M, K, N, false, true, false);
      expect(Array.from(inWasm), `${M}x${K}x${N}`).toEqual(Array.from(inJs));
      const ref = matmulReference(a, b, M, K, N, false, true);
      expectEachClose(inWasm, ref, (r) => 1e-5 * (1 + Math.abs(r)) * Math.sqrt(K), (i) => `${M}x${K}x${N} [${i}]`);
    }
  });
  it('the runtime kernel made in memory left dirty gives the product (its scratch is not cleared)', () => {
    const h = heap()!;
    // N: a padded tail or whole panels; M: rows in fours and a remainder; K: one or two K blocks; the
    // transposed A through the strip (64 columns or more)
    for (const [M, K, N] of [[13, 140, 19], [22, 600, 37], [9, 80, 64], [30, 520, 72]])
      for (const tA of [false, true])
        for (const tB of [false, true]) {
          const a = h.copyOf(randoms(M * K, K + 1)), b = h.copyOf(randoms(K * N, N + 1));
          const c = h.alloc(M * N);
          // freed memory full of NaN where the kernel's scratch goes (first fit)
          const dirt = h.alloc(2 ** 18, undefined, false);
          dirt.fill(NaN);
          h.free(dirt);
          const kernel = matmulKernel(M, K, N, tA, tB);
          expect(kernel.path).toBe('WebAssembly SIMD GEMM');
          kernel([a, b], c);
          const ref = matmulReference(a, b, M, K, N, tA, tB);
          expectEachClose(c, ref, (r) => 1e-5 * (1 + Math.abs(r)) * Math.sqrt(K), (i) => `${M}x${K}x${N} ${tA} ${tB} [${i}]`);
          for (const v of [a, b, c]) h.free(v);
        }
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
