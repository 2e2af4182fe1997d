/**
 * The matrix product with a linear layer's epilogue (runtime/kernels/matmul.ts `epi`, the Linear op's
 * kernel): against a float64 loop of product, bias and ReLU written here, on every path (the GEMM in
 * the heap, whose panel kernel applies the epilogue as it stores the last K block; operands outside the
 * heap; the vector kernels; JavaScript), with M not a multiple of 4, N not of 8, K over several K
 * blocks and both transposes; and bit for bit against the product, the Add and the Relu it stands for;
 * and a bias changed in its buffer between calls, as a training step changes a parameter's.
 */
import { describe, expect, it } from 'vitest';
import { heap } from '../../runtime/kernels/heap.ts';
import { matmulKernel } from '../../runtime/kernels/matmul.ts';
import { epilogue, gemmScratch } from '../../runtime/kernels/wasm/gemm.ts';
import { randoms } from '../support/run.ts';
import { expectEachClose } from '../support/close.ts';

const h = heap()!;

/** [Relu](op(A)·op(B) + bias), in float64. */
function reference(a: Float32Array, b: Float32Array, bias: Float32Array, M: number, K: number, N: number, tA: boolean, tB: boolean, relu: boolean): Float64Array {
  const c = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[tA ? k * M + i : i * K + k] * b[tB ? j * K + k : k * N + j];
      s += bias[j];
      c[i * N + j] = relu ? Math.max(s, 0) : s;
    }
  return c;
}

// [M, K, N, path]: M mod 4 rows and N mod 8 columns (a tail group, a padded C); K over two and three K
// blocks of 512; a product too small for WebAssembly; one row (vector-matrix) and one column; K = 0
// (a row or column with both operands transposed takes the JavaScript loops)
const shapes = [[13, 600, 19, /^WebAssembly SIMD GEMM/], [130, 1100, 67, /^WebAssembly SIMD GEMM/], [64, 200, 32, /^WebAssembly SIMD GEMM/], [8, 520, 8, /^WebAssembly SIMD GEMM/], [7, 13, 19, /^JavaScript/], [1, 300, 64, /matrix-vector|^JavaScript/], [64, 300, 1, /matrix-vector|^JavaScript/], [5, 0, 9, /^JavaScript/]] as const;

describe('the matrix product with a bias and ReLU (a linear layer)', () => {
  for (const [M, K, N, path] of shapes)
    for (const tA of [false, true])
      for (const tB of [false, true])
        for (const relu of [false, true])
          it(`${M}x${K}x${N}${tA ? ' transA' : ''}${tB ? ' transB' : ''}${relu ? ' relu' : ''}`, () => {
            const a = h.copyOf(randoms(M * K, M + K + 1)), b = h.copyOf(randoms(K * N, N + 2)), bias = h.copyOf(randoms(N, N + 5));
            const kernel = matmulKernel(M, K, N, tA, tB, 'f32', { relu });
            const ref = reference(a, b, bias, M, K, N, tA, tB, relu);
            const tol = (r: number) => 2e-6 * Math.sqrt(K + 1) * (1 + Math.abs(r));
            // the operands in the heap, then (the copying or JavaScript path) outside it
            for (const inHeap of [true, false]) {
              const c = inHeap ? h.alloc(M * N).fill(NaN) : new Float32Array(M * N).fill(NaN);
              const ins = inHeap ? [a, b, bias] : [Float32Array.from(a), Float32Array.from(b), Float32Array.from(bias)];
              kernel(ins, c);
              expectEachClose(c, ref, tol, (i) => `${inHeap ? 'heap' : 'copies'} [${i}]`);
              if (inHeap) h.free(c);
            }
            expect(kernel.path).toMatch(path);
            if (kernel.path!.startsWith('WebAssembly SIMD GEMM')) expect(kernel.path).toMatch(/applied as it stores C/);
            else expect(kernel.path).toMatch(/then the bias( and ReLU)? in a loop over C/);
            // the same bits as the product, then the bias added in float32, then ReLU (the Add and Relu kernels' rule)
            const plain = matmulKernel(M, K, N, tA, tB), p = h.alloc(M * N), c = h.alloc(M * N);
            plain([a, b], p);
            kernel([a, b, bias], c);
            const want = p.map((x, i) => {
              const y = Math.fround(x + bias[i % N]);
              return relu && !(y > 0) ? 0 : y;
            });
            expect(Array.from(c)).toEqual(Array.from(want));
            for (const x of [a, b, bias, p, c]) h.free(x);
          });

  it('the bias read at each call: changed in its buffer between calls (a parameter a training step updates)', () => {
    // N a multiple of 8 (the bias read in place), not (copied into the padded scratch), and split with the helper
    for (const [M, K, N] of [[64, 200, 32], [13, 600, 19], [128, 784, 256]])
      for (const relu of [false, true]) {
        const kernel = matmulKernel(M, K, N, false, false, 'f32', { relu });
        expect(kernel.path).toMatch(/^WebAssembly SIMD GEMM/);
        const a = h.copyOf(randoms(M * K, 7)), b = h.copyOf(randoms(K * N, 8)), bias = h.copyOf(randoms(N, 9)), c = h.alloc(M * N);
        for (let step = 0; step < 3; step++) {
          if (step > 0) bias.set(randoms(N, 10 + step, -2, 2)); // the same buffer, new values
          kernel([a, b, bias], c);
          const ref = reference(a, b, bias, M, K, N, false, false, relu);
          expectEachClose(c, ref, (r) => 2e-6 * Math.sqrt(K + 1) * (1 + Math.abs(r)), (i) => `${M}x${K}x${N}${relu ? ' relu' : ''} step ${step} [${i}]`);
        }
        for (const x of [a, b, bias, c]) h.free(x);
      }
  });

  it('the epilogue reads a bias of whole panels in the heap in place, and copies any other', () => {
    const scratch = gemmScratch(8, 16, 24, (n) => h.alloc(n), false, false, true);
    const bias = h.copyOf(randoms(24, 3));
    expect(epilogue(scratch, bias, 24, true, true)).toBe(bias.byteOffset | 1);
    expect(epilogue(scratch, bias, 24, false, false)).toBe(scratch.bias!.byteOffset);
    expect(Array.from(scratch.bias!)).toEqual(Array.from(bias));
    for (const x of [bias, scratch.packed, scratch.bias!]) h.free(x);
  });

  it('a padded C: the padding columns of the bias are zeros, whatever the bias scratch held', () => {
    // a bias scratch left dirty (NaN) by freed memory: N = 12 pads to 16, the padding must be zeroed
    const [M, K, N] = [32, 64, 12];
    const dirt = h.alloc(2 ** 16, undefined, false);
    dirt.fill(NaN);
    h.free(dirt);
    const kernel = matmulKernel(M, K, N, false, false, 'f32', { relu: false });
    const a = h.copyOf(randoms(M * K, 3)), b = h.copyOf(randoms(K * N, 4)), bias = h.copyOf(randoms(N, 5)), c = h.alloc(M * N);
    kernel([a, b, bias], c);
    const ref = reference(a, b, bias, M, K, N, false, false, false);
    c.forEach((v, i) => expect(Math.abs(v - ref[i])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(ref[i]))));
  });
});
