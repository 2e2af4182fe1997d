/**
 * The WebAssembly kernels working in place on the heap (every layout, padded widths, edge rows,
 * matrix-vector shapes), on one thread and split with the helper thread, against the plain definition
 * in float64; and a whole W4 training step on them against the float64 reference plan.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heap } from '../../runtime/kernels/heap.ts';
import { matmulKernel, matmulReference } from '../../runtime/kernels/matmul.ts';
import { readyHelper, stopHelperThread } from '../../runtime/kernels/threads.ts';
import { useNodeHelperThread, useRelaxedSimd } from '../../runtime/node.ts';
import { WasmKernels, kernelModuleBytes } from '../../runtime/kernels/wasm/module.ts';
import { gemm, gemmScratch } from '../../runtime/kernels/wasm/gemm.ts';
import { vecmat } from '../../runtime/kernels/wasm/vector-drivers.ts';
import { WIDE_ARG, vecmatWideKernel } from '../../runtime/kernels/wasm/vector.ts';
import { module } from '../../runtime/kernels/wasm/asm.ts';
import { MAX_PAGES } from '../../runtime/kernels/heap.ts';
import { Plan } from '../../runtime/plan.ts';
import { ParamStore } from '../../runtime/executable.ts';
import { trainStepGraph } from '../../compiler/train/step.ts';
import mlp from '../../graphs/mlp-w4.ts';
import { randoms } from '../support/run.ts';
import { expectEachClose } from '../support/close.ts';

const h = heap()!;
const resident = (xs: number[]) => h.copyOf(xs);
const close = (got: ArrayLike<number>, ref: ArrayLike<number>, K: number) => {
  for (let i = 0; i < ref.length; i++) {
    const tol = 2e-6 * Math.sqrt(K) * (1 + Math.abs(ref[i]));
    if (!(Math.abs(got[i] - ref[i]) <= tol)) expect.fail(`element ${i}: ${got[i]} vs ${ref[i]} (tolerance ${tol})`);
  }
};

// shapes: padded widths (N mod 8), edge rows (M mod 4), vector shapes (narrow vector-matrix ones of 1 to 4
// vectors a row among them), and products large enough to split
const shapes = [[4, 16, 8], [7, 13, 19], [16, 300, 24], [130, 257, 67], [128, 256, 10], [1, 784, 256], [1, 300, 10], [300, 256, 1], [128, 784, 256], [64, 1024, 1], [759, 8, 1], [101, 12, 1], [3, 900, 1], [14, 301, 1], [16, 300, 1], [1, 301, 70], [1, 257, 33], [70, 520, 300]]; // the last: two column blocks (256 + 44, padded), two K blocks

function checkAll() {
  for (const [M, K, N] of shapes)
    for (const tA of [false, true])
      for (const tB of [false, true]) {
        const a = resident(randoms(M * K, M + K)), b = resident(randoms(K * N, N + 3));
        const c = h.alloc(M * N).fill(NaN);
        const k = matmulKernel(M, K, N, tA, tB);
        k([a, b], c);
        close(c, matmulReference(a, b, M, K, N, tA, tB), K);
        k([a, b], c); // again: scratch reused, C overwritten, not accumulated
        close(c, matmulReference(a, b, M, K, N, tA, tB), K);
      }
}

describe('WebAssembly kernels in place', () => {
  it('both multiply-add forms (mul then add; relaxed SIMD madd) give the products', () => {
    const forms = [false];
    if (useRelaxedSimd()) forms.push(true);
    else console.warn('relaxed SIMD is not available here: only the mul-then-add kernels are checked');
    for (const fma of forms) {
      const k = new WasmKernels(h.memory, true, new WebAssembly.Module(kernelModuleBytes(true, fma) as Uint8Array<ArrayBuffer>));
      for (const [M, K, N] of [[8, 600, 16], [13, 1030, 20]])
        for (const tA of [false, true]) {
          const a = resident(randoms(M * K, 1)), b = resident(randoms(K * N, 2)), c = h.alloc(M * N);
          gemm(k, a, b, c, gemmScratch(M, K, N, (n) => h.alloc(n)), M, K, N, tA, false, true);
          close(c, matmulReference(a, b, M, K, N, tA, false), K);
        }
      // and the vector-matrix kernels (four rows and one row at a time)
      const v = resident(randoms(603, 3)), B = resident(randoms(603 * 40, 4)), c = h.alloc(40);
      vecmat(k, v, 1, B, c, 603, 40);
      close(c, matmulReference(v, B, 1, 603, 40, false, false), 603);
      // the wide ones, generated per row width (eight rows a pass; widths of whole pairs of vectors, with
      // one vector more, and not a whole vector), over a multiple of 8 rows and zero rows
      for (const N of [40, 36, 30, 256]) {
        const A = resident(randoms(600 * N, N)), d = h.alloc(N).fill(NaN);
        const wide = new WebAssembly.Instance(new WebAssembly.Module(module([vecmatWideKernel(N * 4, fma)], { shared: true, maxPages: MAX_PAGES }) as Uint8Array<ArrayBuffer>), { env: { memory: h.memory } }).exports.kernel as (a: number) => void;
        const at = h.alloc(8);
        const a = new Int32Array(at.buffer, at.byteOffset, 8);
        for (const rows of [600, 0]) {
          a[WIDE_ARG.v0] = v.byteOffset; a[WIDE_ARG.sv] = 4; a[WIDE_ARG.m0] = A.byteOffset; a[WIDE_ARG.c0] = d.byteOffset; a[WIDE_ARG.K] = rows;
          wide(at.byteOffset);
          close(d, rows ? matmulReference(v, A, 1, 600, N, false, false) : new Float64Array(N), 600);
        }
      }
      // and the narrow ones (c in registers), 1 to 4 vectors a row
      for (const N of [3, 8, 12, 16]) {
        const A = resident(randoms(603 * N, N)), d = h.alloc(N);
        vecmat(k, v, 1, A, d, 603, N);
        close(d, matmulReference(v, A, 1, 603, N, false, false), 603);
      }
    }
    expect(forms.length).toBe(2); // Node 20 has relaxed SIMD behind a flag, which useRelaxedSimd sets
  });

  it('one thread: every layout and shape matches the definition', () => {
    expect(readyHelper()).toBeNull();
    checkAll();
  });

  describe('with the helper thread', () => {
    beforeAll(async () => {
      useNodeHelperThread();
      for (let i = 0; i < 500 && !readyHelper(); i++) await new Promise((r) => setTimeout(r, 10));
    });
    afterAll(() => stopHelperThread());

    it('the helper starts', () => expect(readyHelper()).not.toBeNull());

    it('split products match the definition', () => {
      checkAll();
      // big enough to split in every kernel: gemm by chunks of rows (the last chunk short: 132 and 1030
      // rows), matvec by rows, vecmat by column blocks (an odd count too)
      for (const [M, K, N, tA] of [[256, 512, 64, false], [512, 256, 64, true], [132, 512, 40, false], [1030, 300, 24, true], [8192, 256, 1, false], [256, 8192, 1, true], [1, 8192, 256, false], [1, 4099, 100, false]] as const) {
        const a = resident(randoms(M * K, 5)), b = resident(randoms(K * N, 6));
        const c = h.alloc(M * N).fill(NaN);
        matmulKernel(M, K, N, tA, false)([a, b], c);
        close(c, matmulReference(a, b, M, K, N, tA, false), K);
      }
    });

    it('a W4 training step (batch 128) matches the float64 reference plan', () => {
      const step = trainStepGraph(mlp.build(), { lr: 0.05 });
      const shapes = new Map([['x', [128, 784]], ['y', [128]]]);
      const x = randoms(128 * 784, 11), y = Array.from({ length: 128 }, (_, i) => (i * 7) % 10);
      const params = new ParamStore(step.params);
      const f32 = new Plan(step, shapes), f64 = new Plan(step, shapes, 'f64');
      const leaves32 = new Map<string, Float32Array>([['x', resident(x)], ['y', resident(y)], ...params.values]);
      const leaves64 = new Map([...leaves32].map(([k, v]) => [k, Float64Array.from(v) as unknown as Float32Array]));
      f32.run(leaves32);
      f64.run(leaves64);
      for (const o of step.outputs) {
        const got = f32.value(o.node).data, ref = f64.value(o.node).data;
        expectEachClose(got, ref, (r) => 1e-5 * (1 + Math.abs(r)), (i) => `${o.name}[${i}]`);
      }
    });
  });
});
