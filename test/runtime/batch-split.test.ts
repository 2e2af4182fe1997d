/**
 * A batched product's slices shared with the helper thread (runtime/kernels/wasm/gemm-batch.ts): on one
 * thread and on two (the split forced on, and measured), every output within float32 rounding of the
 * definition (test/support/batched-product.ts: float64 sums, numpy's batch broadcasting spelled out by index, transposed
 * sides read by their swapped index) and the same bits either way; on shapes with broadcast batch dims,
 * transposed operands, slices of stacked rows, and more slices than a job has chunks (several a chunk).
 * A helper parked in the middle of a chunk: the caller takes the chunk back, the same bits, never waiting
 * for it. The comparison with numpy is in test/ops/batch-matmul.slow.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import '../../compiler/ops/index.ts';
import * as B from '../../compiler/ir/build.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import { Plan } from '../../runtime/plan.ts';
import { heap } from '../../runtime/kernels/heap.ts';
import { readyHelper, stopHelperThread, useHelperThread } from '../../runtime/kernels/threads.ts';
import { CHUNK, MAX_CHUNKS } from '../../runtime/kernels/jobs.ts';
import { SplitTimer, splitChoices } from '../../runtime/kernels/split.ts';
import { useRelaxedSimd } from '../../runtime/node.ts';
import { randoms } from '../support/run.ts';
import { recordPostedJobs } from '../support/posted-jobs.ts';
import { batchedProduct as definition } from '../support/batched-product.ts';

useRelaxedSimd();
const h = heap()!;
const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);


// [a, b, transA, transB, slices a job's chunk]: attention's products (P·V-shaped, Q·Kᵀ, the gradient's
// Aᵀ·G through the strip), batch dims broadcast on both sides, B broadcast over a trailing batch dim
// (slices of 4·16 stacked rows), both sides transposed, and 300 slices (more than a job's chunks)
const cases: [number[], number[], boolean, boolean, number][] = [
  [[2, 3, 128, 64], [2, 3, 64, 128], false, false, 1],
  [[2, 3, 128, 64], [2, 3, 128, 64], false, true, 1],
  [[2, 3, 128, 64], [2, 3, 128, 128], true, false, 1],
  [[2, 1, 64, 64], [1, 4, 64, 128], false, false, 1],
  [[3, 4, 16, 128], [3, 1, 128, 128], false, false, 1],
  [[8, 64, 64], [8, 96, 64], true, true, 1],
  [[300, 16, 64], [300, 64, 32], false, false, 8],
];

const plans = cases.map(([as, bs, tA, tB], k) => {
  const a = B.mk('Input', [], { name: 'a', shape: as, dtype: 'f32' }), b = B.mk('Input', [], { name: 'b', shape: bs, dtype: 'f32' });
  const y = B.batchMatmul(a, b, tA, tB);
  const plan = new Plan(new Graph([{ name: 'y', node: y }]), new Map([['a', as], ['b', bs]]));
  const x = randoms(size(as), 10 + k), w = randoms(size(bs), 20 + k);
  const leaves = [h.copyOf(x), h.copyOf(w)];
  return { plan, y, x, w, leaves, path: plan.report().kernels.find((r) => r.node.op === 'BatchMatMul')!.path };
});

/** The first case whose bits differ from `want`'s, and where (null: all the same). */
function differ(got: Uint32Array[], want: Uint32Array[]): { case: number; at: number } | null {
  for (let k = 0; k < want.length; k++) {
    const at = got[k].length !== want[k].length ? 0 : got[k].findIndex((v, i) => v !== want[k][i]);
    if (at !== -1) return { case: k, at };
  }
  return null;
}

/** Every case's output after `times` runs, as bits. */
const outputs = (times = 1) =>
  plans.map(({ plan, y, leaves }) => {
    for (let t = 0; t < times; t++) plan.runWith(leaves);
    return new Uint32Array(plan.value(y).data.buffer, plan.value(y).data.byteOffset, plan.value(y).data.length).slice();
  });

async function startHelper(prelude = ''): Promise<void> {
  stopHelperThread();
  useHelperThread((source) => new Worker(prelude + source, { eval: true }));
  for (let i = 0; i < 500 && !readyHelper(); i++) {
    outputs();
    await new Promise((r) => setTimeout(r, 10));
  }
  expect(readyHelper()).not.toBeNull();
}

describe('a batched product shared with the helper thread by slices', () => {
  afterAll(() => {
    SplitTimer.force = null;
    stopHelperThread();
  });
  const alone = outputs();

  it('one thread: the definition\'s values, each case on the shared path', () => {
    cases.forEach(([as, bs, tA, tB], k) => {
      expect(plans[k].path, `case ${k}`).toContain('the slices shared with the helper thread');
      const { y, abs, K } = definition(plans[k].x, as, plans[k].w, bs, tA, tB);
      const got = new Float32Array(alone[k].buffer);
      expect(got.length).toBe(y.length);
      // float32 sums of K terms: within K + 1 roundings of the sum of the terms' magnitudes (the first
      // output beyond it, if any, reported)
      const far = got.findIndex((v, i) => !(Math.abs(v - y[i]) <= 2 * (K + 1) * 2 ** -24 * abs[i]));
      expect(far === -1 ? null : { at: far, got: got[far], want: y[far] }, `case ${k}`).toBeNull();
    });
  });

  it('two threads, the split forced on, off and measured: the same bits as one thread', async () => {
    await startHelper();
    const { hp, posted } = recordPostedJobs();
    for (const force of [true, false, null]) {
      SplitTimer.force = force;
      posted.length = 0;
      expect(differ(outputs(force === null ? 40 : 3), alone), `force ${force}`).toBeNull();
      const jobs = posted.filter(([job]) => job === 'gemmBatch');
      // (a call that found the helper still copying its last chunk posts nothing)
      if (force === true) expect(jobs.length).toBeGreaterThan(0);
      else if (force === false) expect(jobs).toEqual([]);
    }
    // with the split forced, each case until the helper has computed some of its chunks (on a busy
    // machine it may wake after the caller has taken them all): the same bits
    SplitTimer.force = true;
    plans.forEach(({ plan, y, leaves }, k) => {
      let helped = 0;
      for (let t = 0; t < 50 && helped === 0; t++) {
        while (!hp.idle); // posted only when idle
        posted.length = 0;
        plan.runWith(leaves);
        // the job's slices a chunk: 8 where the slices are many and small
        expect(posted.map(([job, args]) => [job, args[8]])).toEqual([['gemmBatch', cases[k][4]]]);
        helped = hp.chunks.filter((st) => st === CHUNK.DONE).length;
        const out = plan.value(y).data;
        expect(differ([new Uint32Array(out.buffer, out.byteOffset, out.length)], [alone[k]]), `case ${k}`).toBeNull();
      }
      expect(helped, `case ${k}: chunks the helper computed`).toBeGreaterThan(0);
    });
    // a split call constructs no typed array or view (the helper's cells reserved when the kernel was prepared)
    const g = globalThis as unknown as Record<string, unknown>;
    const kinds = ['Float32Array', 'Float64Array', 'Int32Array', 'Uint32Array'], saved = kinds.map((k) => g[k]);
    const subarray = Float32Array.prototype.subarray;
    let made = 0;
    kinds.forEach((k, i) => (g[k] = new Proxy(saved[i] as object, { construct: (t, args, nt) => (made++, Reflect.construct(t as new (...x: unknown[]) => object, args, nt)) })));
    Float32Array.prototype.subarray = function (this: Float32Array, begin?: number, end?: number) {
      made++;
      return subarray.call(this, begin, end);
    } as typeof subarray;
    try {
      for (let t = 0; t < 5; t++) for (const { plan, leaves } of plans) plan.runWith(leaves);
    } finally {
      kinds.forEach((k, i) => (g[k] = saved[i]));
      Float32Array.prototype.subarray = subarray;
    }
    expect(made).toBe(0);
    // each batch measured itself both ways, under its own name
    const mine = splitChoices().filter((c) => c.what.startsWith('batch of '));
    expect(mine.map((c) => c.what)).toContain('batch of 6 matrix products [128,64]·[64,128], by slices');
    for (const c of mine) expect(c.looks).toBeGreaterThan(0);
  });

  it('a helper parked in the middle of a chunk: the caller takes it back, the same bits, without waiting', async () => {
    // the helper computes each chunk and then does not run for 300 ms before it would copy it into C
    await startHelper(`{ const ce = Atomics.compareExchange; Atomics.compareExchange = (v, i, e, r) => { if (v.length === ${MAX_CHUNKS} && e === ${CHUNK.HELPER} && r === ${CHUNK.COPYING}) { const t = Date.now(); while (Date.now() - t < 300); } return ce(v, i, e, r); }; }\n`);
    SplitTimer.force = true;
    for (const which of [0, 2, 6]) {
      const { plan, y, leaves } = plans[which];
      const out = plan.value(y).data;
      const bits = () => new Uint32Array(out.buffer, out.byteOffset, out.length);
      let takenBack = 0;
      // (on a busy machine the helper may wake after the caller has taken every chunk: try again)
      for (let t = 0; t < 12 && takenBack === 0; t++) {
        while (!readyHelper()!.idle) await new Promise((r) => setTimeout(r, 20)); // posted only when idle
        out.fill(NaN);
        const start = performance.now();
        plan.runWith(leaves);
        const ms = performance.now() - start;
        takenBack += readyHelper()!.chunks.filter((s) => s === CHUNK.TAKEN_BACK).length;
        expect(differ([bits()], [alone[which]]), `case ${which}`).toBeNull();
        expect(ms).toBeLessThan(250); // never waited for the parked helper
        while (!readyHelper()!.idle) await new Promise((r) => setTimeout(r, 20));
        // the helper has woken and finished the chunk it held: the output is still the caller's
        expect(differ([bits()], [alone[which]]), `case ${which}, after the helper woke`).toBeNull();
      }
      expect(takenBack, `case ${which}`).toBeGreaterThan(0);
    }
  });
});
