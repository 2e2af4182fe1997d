/**
 * The narrow product kernel (runtime/kernels/wasm/narrow.ts): products of few columns as dot products of
 * A's rows and B's columns, against a float64 loop written here: N odd and even (a last column alone), M
 * not a multiple of 4 (rows one at a time after the row groups), K not a multiple of 4 (the last products
 * one by one) and K under 4, B transposed or not, in the heap or not, with a linear layer's bias and ReLU
 * (the bits of the product, then the bias added in float32, then ReLU), a bias changed between calls; and
 * which products take it (`narrowApplies`): below 4 columns, and large products the panel kernel would pad.
 */
import { describe, expect, it } from 'vitest';
import { heap } from '../../runtime/kernels/heap.ts';
import { matmulKernel } from '../../runtime/kernels/matmul.ts';
import { narrowApplies } from '../../runtime/kernels/wasm/narrow-product.ts';
import { randoms } from '../support/run.ts';
import { expectEachClose } from '../support/close.ts';

const h = heap()!;

/** [Relu](A·op(B) [+ bias]), in float64. */
function reference(a: ArrayLike<number>, b: ArrayLike<number>, bias: ArrayLike<number> | null, M: number, K: number, N: number, tB: boolean, relu: boolean): Float64Array {
  const c = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[i * K + k] * b[tB ? j * K + k : k * N + j];
      if (bias) s += bias[j];
      c[i * N + j] = relu ? Math.max(s, 0) : s;
    }
  return c;
}

const tol = (K: number, r: number) => 2e-6 * Math.sqrt(K + 1) * (1 + Math.abs(r));

// [M, K, N]: 2 and 3 columns (small and large), 10 and 13 with M mod 4 rows and K mod 4 products, 5 and 20
const shapes = [[2048, 256, 10], [1030, 261, 13], [2047, 300, 5], [517, 1030, 20], [300, 130, 2], [131, 97, 3], [4099, 3, 3], [2000, 1100, 3]] as const;

describe('the narrow product kernel', () => {
  for (const [M, K, N] of shapes)
    for (const tB of [false, true])
      it(`${M}x${K}x${N}${tB ? ' transB' : ''}: the product, and with a bias and ReLU, in the heap and not`, () => {
        const a = h.copyOf(randoms(M * K, M + K)), b = h.copyOf(randoms(K * N, N + 1)), bias = h.copyOf(randoms(N, N + 2));
        const plain = matmulKernel(M, K, N, false, tB);
        expect(plain.path).toBe('WebAssembly SIMD narrow product');
        const p = h.alloc(M * N).fill(NaN);
        plain([a, b], p);
        const ref = reference(a, b, null, M, K, N, tB, false);
        expectEachClose(p, ref, (r) => tol(K, r));
        for (const relu of [false, true]) {
          const linear = matmulKernel(M, K, N, false, tB, 'f32', { relu });
          expect(linear.path).toBe(`WebAssembly SIMD narrow product, the bias${relu ? ' and ReLU' : ''} applied as it stores C`);
          const want = Array.from(p, (x, i) => {
            const y = Math.fround(x + bias[i % N]);
            return relu && !(y > 0) ? 0 : y;
          });
          // B and the bias in the heap (read in place where they can be), then B and the bias outside it (copied)
          for (const [bb, bs] of [[b, bias], [Float32Array.from(b), Float32Array.from(bias)]]) {
            const c = h.alloc(M * N).fill(NaN);
            linear([a, bb, bs], c);
            expect(Array.from(c)).toEqual(want);
            h.free(c);
          }
        }
        // operands outside the heap: the JavaScript loops
        const outside = new Float32Array(M * N);
        plain([Float32Array.from(a), Float32Array.from(b)], outside);
        expectEachClose(outside, ref, (r) => tol(K, r), (i) => `outside the heap [${i}]`);
        for (const x of [a, b, bias, p]) h.free(x);
      });

  it('reads the bias and B at each call (parameters a training step updates in place)', () => {
    const [M, K, N] = [2048, 200, 10];
    const kernel = matmulKernel(M, K, N, false, false, 'f32', { relu: true });
    const a = h.copyOf(randoms(M * K, 1)), b = h.copyOf(randoms(K * N, 2)), bias = h.copyOf(randoms(N, 3)), c = h.alloc(M * N);
    for (let step = 0; step < 3; step++) {
      if (step > 0) {
        bias.set(randoms(N, 10 + step, -2, 2));
        b.set(randoms(K * N, 20 + step));
      }
      kernel([a, b, bias], c);
      const ref = reference(a, b, bias, M, K, N, false, true);
      expectEachClose(c, ref, (r) => tol(K, r), (i) => `step ${step} [${i}]`);
    }
    for (const x of [a, b, bias, c]) h.free(x);
  });

  it('takes products below 4 columns, and large ones whose panels of 8 the panel kernel would pad by more than an eighth', () => {
    expect([2, 3].map((N) => narrowApplies(64, 256, N))).toEqual([true, true]);
    expect([4, 6, 10, 13, 20].map((N) => narrowApplies(4096, 256, N))).toEqual([true, true, true, true, true]);
    expect([1, 7, 8, 14, 15, 16, 24, 25].map((N) => narrowApplies(4096, 256, N))).toEqual(Array(8).fill(false));
    // smaller products keep the panel kernel (its sums along k in order)
    expect(narrowApplies(64, 64, 10)).toBe(false);
    expect(matmulKernel(64, 64, 10).path).toBe('WebAssembly SIMD GEMM');
    // a transposed A is the panel kernel's
    expect(matmulKernel(4096, 256, 10, true).path).toBe('WebAssembly SIMD GEMM');
  });
});
