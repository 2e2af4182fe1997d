/**
 * Reference matrix multiply on Float32Array, row-major: C[M,N] = op(A)·op(B) where op(A) is [M,K] and
 * op(B) is [K,N], either optionally transposed in memory. Accumulates in float64 per output row.
 */
import type { Kernel } from '../../compiler/ir/op.ts';

export function matmulKernel(M: number, K: number, N: number, transA = false, transB = false): Kernel {
  const acc = new Float64Array(N);
  return (ins, c) => matmulInto(ins[0], ins[1], c, M, K, N, transA, transB, acc);
}

export function matmulInto(a: Float32Array, b: Float32Array, c: Float32Array, M: number, K: number, N: number, transA: boolean, transB: boolean, acc = new Float64Array(N)): void {
  // A[i,k] = a[i*sa + k*ka]; B[k,j] = b[k*sb + j*jb]
  const sa = transA ? 1 : K, ka = transA ? M : 1;
  const sb = transB ? 1 : N, jb = transB ? K : 1;
  for (let i = 0; i < M; i++) {
    acc.fill(0);
    for (let k = 0; k < K; k++) {
      const av = a[i * sa + k * ka];
      const bo = k * sb;
      for (let j = 0; j < N; j++) acc[j] += av * b[bo + j * jb];
    }
    const co = i * N;
    for (let j = 0; j < N; j++) c[co + j] = acc[j];
  }
}
