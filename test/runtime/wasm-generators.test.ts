/**
 * Every WebAssembly generator over a grid of shapes: each module validates in V8 (with and without
 * relaxed SIMD's multiply-add), and a sample of each kernel, called directly on the heap, matches a
 * float64 JavaScript reference over sizes 1, odd, multiples of the SIMD width and not, and large.
 */
import { describe, expect, it } from 'vitest';
import { generated, CHAINS, FEATURES, rowPrograms } from '../support/wasm-generators.ts';
import { heap } from '../../runtime/kernels/heap.ts';
import { useRelaxedSimd } from '../../runtime/node.ts';
import { WasmKernels, kernelModuleBytes } from '../../runtime/kernels/wasm/module.ts';
import { vecmatWideKernel, WIDE_ARG } from '../../runtime/kernels/wasm/vector.ts';
import { rowKernel, ARG } from '../../runtime/kernels/wasm/rows.ts';
import { elementwiseFunc } from '../../runtime/kernels/wasm/elementwise.ts';
import { sumKernels } from '../../runtime/kernels/wasm/sums.ts';
import { softmaxKernels } from '../../runtime/kernels/wasm/softmax.ts';
import { lossKernels } from '../../runtime/kernels/wasm/losses.ts';
import { module, type Func } from '../../runtime/kernels/wasm/asm.ts';
import { getOp } from '../../compiler/ops/op.ts';
import { MAX_PAGES } from '../../runtime/kernels/heap.ts';
import { randoms } from '../support/run.ts';

const h = heap()!;
const fma = useRelaxedSimd();
const SIZES = [1, 3, 4, 5, 8, 17, 64, 257, 1001];

/** got within tol·(scale + |ref|) of ref, element by element. */
function close(got: ArrayLike<number>, ref: ArrayLike<number>, tol: number, what: string, scale = 1) {
  for (let i = 0; i < ref.length; i++)
    if (!(Math.abs(got[i] - ref[i]) <= tol * (scale + Math.abs(ref[i])))) expect.fail(`${what}, element ${i}: ${got[i]} vs ${ref[i]}`);
}

/** The function a Func compiles to over the heap. */
function compile<T = (...a: number[]) => void>(f: Func): T {
  const mod = new WebAssembly.Module(module([f], { shared: true, maxPages: MAX_PAGES }) as Uint8Array<ArrayBuffer>);
  return new WebAssembly.Instance(mod, { env: { memory: h.memory } }).exports[f.name] as T;
}

describe('every WebAssembly generator, over a grid of shapes', () => {
  it('every module validates', () => {
    const all = generated();
    expect(all.length).toBeGreaterThan(200);
    const invalid = all.filter((g) => !WebAssembly.validate(g.bytes as Uint8Array<ArrayBuffer>)).map((g) => g.name);
    expect(invalid.filter((n) => fma || !n.includes('fma=true'))).toEqual([]);
  });

  const k = new WasmKernels(h.memory, true, new WebAssembly.Module(kernelModuleBytes(true, fma) as Uint8Array<ArrayBuffer>));

  it('matrix-vector and vector-matrix products match float64 sums', () => {
    for (const M of [1, 4, 5, 17, 64])
      for (const K of SIZES) {
        const A = h.copyOf(randoms(M * K, M + K)), v = h.copyOf(randoms(Math.max(K, M), K + 1));
        const ref = Array.from({ length: M }, (_, i) => { let s = 0; for (let j = 0; j < K; j++) s += A[i * K + j] * v[j]; return s; });
        const c = h.alloc(M).fill(NaN);
        k.matvec(A.byteOffset, K * 4, v.byteOffset, c.byteOffset, M, (K - (K % 16)) * 4, (K - (K % 4)) * 4, K * 4);
        close(c, ref, 1e-5 * Math.sqrt(K), `matvec ${M}×${K}`);
        if (K % 4 === 0 && M % 4 === 0) {
          c.fill(NaN);
          k.matvec4(A.byteOffset, K * 4, v.byteOffset, c.byteOffset, M, K * 4);
          close(c, ref, 1e-5 * Math.sqrt(K), `matvec4 ${M}×${K}`);
        }
        // v·A read as a K×M matrix (vector-matrix): the narrow kernel up to 16 columns, the wide one past
        const vt = h.copyOf(randoms(K, 7));
        const refT = Array.from({ length: M }, (_, j) => { let s = 0; for (let r = 0; r < K; r++) s += vt[r] * A[r * M + j]; return s; });
        const out = h.alloc(M + 4).fill(NaN);
        if (M <= 16) k.vecmatTall[((M + 3) >> 2) - 1](vt.byteOffset, 4, A.byteOffset, M * 4, out.byteOffset, K);
        else {
          const K8 = K - (K % 8);
          const wide = compile<(p: number) => void>(vecmatWideKernel(M * 4, fma));
          const args = new Int32Array(h.memory.buffer, h.alloc(8).byteOffset, 8);
          args[WIDE_ARG.v0] = vt.byteOffset; args[WIDE_ARG.sv] = 4; args[WIDE_ARG.m0] = A.byteOffset; args[WIDE_ARG.c0] = out.byteOffset; args[WIDE_ARG.K] = K8;
          wide(args.byteOffset);
          if (K8 < K) k.vecmat1(vt.byteOffset + K8 * 4, 4, A.byteOffset + K8 * M * 4, M * 4, out.byteOffset, K - K8, ((M + 3) & ~3) * 4, 0);
        }
        close(out.subarray(0, M), refT, 1e-5 * Math.sqrt(K), `vecmat ${K}×${M}`);
      }
  });

  it('the row kernel computes z = X·w for every feature count and row count', () => {
    const mask = h.alloc(4);
    for (const K of FEATURES)
      for (const N of [1, 3, 4, 5, 17, 64, 759]) {
        const f = compile<(p: number) => void>(rowKernel(rowPrograms(K)[0], fma));
        const X = h.copyOf(randoms(N * K, N + K)), w = h.copyOf(randoms(K, K)), z = h.alloc(N + 4).fill(NaN);
        new Int32Array(mask.buffer, mask.byteOffset, 4).set([0, 1, 2, 3].map((l) => (l < N % 4 ? -1 : 0)));
        const args = new Int32Array(h.memory.buffer, h.alloc(8).byteOffset, 8);
        args[ARG.x] = X.byteOffset; args[ARG.w] = w.byteOffset; args[ARG.groups] = N >> 2; args[ARG.tail] = N % 4; args[ARG.mask] = mask.byteOffset; args[ARG.first] = z.byteOffset;
        f(args.byteOffset);
        const ref = Array.from({ length: N }, (_, i) => { let s = 0; for (let j = 0; j < K; j++) s += X[i * K + j] * w[j]; return s; });
        close(z.subarray(0, N), ref, 1e-5 * Math.sqrt(K), `rows K=${K} N=${N}`);
      }
  });

  it('elementwise chains match the ops\' float64 definitions', () => {
    for (const c of CHAINS)
      for (const n of SIZES) {
        const f = compile(elementwiseFunc(c.steps, Array(c.inputs).fill('same')));
        const ins = Array.from({ length: c.inputs }, (_, j) => h.copyOf(randoms(n, 10 * j + n, -3, 3)));
        const out = h.alloc(n).fill(NaN);
        f(out.byteOffset, Math.ceil(n / 4) * 16, 0, ...ins.map((b) => b.byteOffset));
        const ref = Array.from({ length: n }, (_, i) => {
          const vals: number[] = [];
          const arg = (a: number) => (a < 0 ? ins[-a - 1][i] : vals[a]);
          for (const s of c.steps) vals.push(getOp(s.name).traits!.elementwise!.fn(...s.args.map(arg)));
          return vals[vals.length - 1];
        });
        close(out, ref, 2e-6 * (c.steps.length + 2), `${c.name} n=${n}`);
      }
  });

  it('sums, softmax rows and the fused loss match float64 sums', () => {
    const sums = sumKernels(h.memory)!, sm = softmaxKernels(h.memory)!, loss = lossKernels(h.memory)!;
    for (const n of SIZES) {
      const n8 = (n + 7) & ~7;
      const x = h.copyOf([...randoms(n, n), ...Array(n8 - n).fill(0)]), acc = h.alloc(16);
      sums.sumAll(x.byteOffset, n8 * 4, acc.byteOffset);
      const parts = new Float64Array(h.memory.buffer, acc.byteOffset, 8);
      close([parts.reduce((a, b) => a + b, 0)], [x.reduce((a, b) => a + b, 0)], 1e-12, `sumAll n=${n}`, n);
      for (const rows of [1, 3, 8]) {
        const len = Math.ceil(rows * n / 4) * 4;
        const xs = h.copyOf(randoms(rows * n, rows + n, -4, 4)), out = h.alloc(len);
        sm.softmaxRows(xs.byteOffset, out.byteOffset, rows, n, len * 4);
        const ref = Array.from({ length: rows * n }, (_, i) => {
          const r = Math.floor(i / n), row = Array.from(xs.subarray(r * n, r * n + n));
          const m = Math.max(...row), s = row.reduce((a, v) => a + Math.exp(v - m), 0);
          return Math.exp(xs[i] - m) / s;
        });
        close(out.subarray(0, rows * n), ref, 1e-5, `softmax ${rows}×${n}`);
      }
      const z = h.copyOf(randoms(n, n + 1, -6, 6)), y = h.copyOf(randoms(n, n + 2).map((v) => (v > 0.5 ? 1 : 0))), m = h.alloc(4), out = h.alloc(1);
      new Int32Array(m.buffer, m.byteOffset, 4).set([0, 1, 2, 3].map((l) => (l < n % 4 ? -1 : 0)));
      loss.bce(z.byteOffset, y.byteOffset, (n - (n % 4)) * 4, n % 4 ? m.byteOffset : 0, out.byteOffset, n);
      let s = 0;
      for (let i = 0; i < n; i++) s += Math.max(z[i], 0) - z[i] * y[i] + Math.log1p(Math.exp(-Math.abs(z[i])));
      close(out, [s / n], 1e-5, `bce n=${n}`);
    }
  });
});
