/**
 * Work split with the helper thread (runtime/kernels/threads.ts, split.ts): results the same bit for bit
 * on one thread, on two, with the split forced on or off or measured, and with a helper that cannot take
 * its jobs (parked: the caller takes its share back) or is slow to finish them (the caller waits for it).
 * A helper held up is modelled by a helper program whose atomics are delayed: claiming a job (its
 * compare-and-swap) for a parked one, announcing it done (its store) for a slow one.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { heap } from '../../runtime/kernels/heap.ts';
import { matmulKernel, matmulReference } from '../../runtime/kernels/matmul.ts';
import { readyHelper, stopHelperThread, useHelperThread, CONTROL, REVOKED, TAKEN } from '../../runtime/kernels/threads.ts';
import { CHUNK, MAX_CHUNKS } from '../../runtime/kernels/jobs.ts';
import { ADOPT, SplitTimer, splitChoices } from '../../runtime/kernels/split.ts';
import { formatSplitChoices } from '../../runtime/report.ts';
import { useRelaxedSimd } from '../../runtime/node.ts';
import { randoms } from '../support/run.ts';
import { recordPostedJobs } from '../support/posted-jobs.ts';
import { expectEachClose } from '../support/close.ts';

useRelaxedSimd();
const h = heap()!;

// each large enough to split: GEMM by chunks of rows (plain and transposed A, a short last chunk; a
// transposed A wide enough to be read through each thread's strip), matrix-vector by rows, vector-matrix
// by rows (the wide kernel, its helper's share summed apart); GEMMs whose B is large enough for the helper
// to pack half of its panels (three K blocks and a partial last panel; a transposed B, an odd count of panels);
// GEMMs split by columns, A no larger than B (W4's forward product, two K blocks; transposed A and B and a
// narrow last chunk of columns); GEMMs with M mod 4 rows after the row groups (by rows, transposed A);
// then GEMMs with a linear layer's epilogue (a bias, and ReLU or not: matmulKernel's `epi`), by rows (a
// tail group, a padded C with the helper packing half of B, three K blocks) and by columns; then narrow
// products (wasm/narrow.ts) by chunks of rows: M mod 4 rows and K mod 4 products, B transposed, an epilogue
const cases = [[256, 512, 64, false], [132, 512, 40, true], [8192, 256, 1, false], [1, 8192, 256, false], [1, 4096, 100, false], [260, 300, 72, true], [64, 1030, 516, false], [68, 1030, 520, false, true], [128, 784, 256, false], [104, 300, 104, true, true], [258, 300, 72, true], [130, 512, 64, false],
  [258, 300, 72, true, false, true], [64, 1030, 516, false, false, true], [130, 1100, 60, false, true, false], [128, 784, 256, false, false, false], [104, 300, 104, true, true, true],
  [1030, 205, 10, false], [776, 270, 13, false, true, true], [702, 1000, 3, false, false, false]] as const;
/** The cases split by columns (wasm/gemm.ts, `byColumns`). */
const byColumns = [8, 9, 15, 16];
const kernels = cases.map(([M, K, N, tA, tB = false, relu = undefined]: readonly [number, number, number, boolean, boolean?, boolean?]) => ({
  M, K, N, tA, tB, relu,
  kernel: matmulKernel(M, K, N, tA, tB, 'f32', relu === undefined ? undefined : { relu }),
  a: h.copyOf(randoms(M * K, M + 1)), b: h.copyOf(randoms(K * N, N + 2)), bias: relu === undefined ? null : h.copyOf(randoms(N, N + 3)),
}));

/** Every case's output, computed `times` times (the last), as bits. */
function outputs(times = 1, after?: () => void): Uint32Array[] {
  return kernels.map(({ M, N, kernel, a, b, bias }) => {
    const c = h.alloc(M * N).fill(NaN);
    for (let t = 0; t < times; t++) {
      kernel(bias ? [a, b, bias] : [a, b], c);
      after?.();
    }
    const bits = new Uint32Array(c.buffer, c.byteOffset, M * N).slice();
    h.free(c);
    return bits;
  });
}

/** Starts a helper whose program has `prelude` before it; resolves once it takes jobs. */
async function startHelper(prelude = ''): Promise<void> {
  useHelperThread((source) => new Worker(prelude + source, { eval: true }));
  for (let i = 0; i < 500 && !readyHelper(); i++) {
    outputs(); // a split-size product asks for the helper
    await new Promise((r) => setTimeout(r, 10));
  }
  expect(readyHelper()).not.toBeNull();
}

const stateOf = () => {
  const hp = readyHelper()!;
  return new Int32Array(h.memory.buffer, hp.control, 64)[CONTROL.STATE];
};

describe('splitting a kernel with the helper thread', () => {
  const alone = outputs();
  afterEach(() => {
    SplitTimer.force = null;
    stopHelperThread();
  });
  afterAll(() => stopHelperThread());

  it('one thread matches the definition', () => {
    kernels.forEach(({ M, K, N, tA, tB, a, b, bias, relu }, i) => {
      const ref = matmulReference(a, b, M, K, N, tA, tB);
      // the epilogue, in float64: the bias on each row, then max(x, 0)
      if (bias) for (let j = 0; j < ref.length; j++) ref[j] = relu ? Math.max(ref[j] + bias[j % N], 0) : ref[j] + bias[j % N];
      const got = new Float32Array(alone[i].buffer);
      expectEachClose(got, ref, (r) => 2e-6 * Math.sqrt(K) * (1 + Math.abs(r)), (j) => `case ${i} [${j}]`);
    });
  });

  it('two threads: the same bits, split forced on, off, or measured', async () => {
    await startHelper();
    // the jobs posted: a split product with a large B posts its helper half of B's panels to pack first,
    // then its rows over the same packed B (a call that found the helper still busy posts neither)
    const { hp, posted } = recordPostedJobs();
    for (const force of [true, false, null]) {
      SplitTimer.force = force;
      posted.length = 0;
      expect(outputs(force === null ? 40 : 3), `force ${force}`).toEqual(alone);
      if (!force) continue;
      // the products split by columns post that job, at most once a call (three calls each; a call that
      // found the helper still busy with its share of the call before posts nothing)
      const cols = posted.filter(([job]) => job === 'gemmColumns');
      expect(cols.length).toBeGreaterThan(0);
      expect(cols.length).toBeLessThanOrEqual(byColumns.length * 3);
      const packs = posted.flatMap(([job, args], i) => (job === 'pack' ? [[args[2], i]] : []));
      expect(packs.length).toBeGreaterThan(0);
      expect(packs.length).toBeLessThanOrEqual(3 * 3); // three kernels with a large B (one with an epilogue), three calls each
      // pack's third argument and gemm's fourth: the packed B
      for (const [packed, i] of packs) {
        expect(posted[i + 1]?.[0]).toBe('gemm');
        expect(posted[i + 1][1][3]).toBe(packed);
      }
    }
    // each kernel measured itself both ways, and says what it chose (graphc train --explain)
    const gemm = splitChoices().find((c) => c.what === 'matrix product [256,512]·[512,64]');
    expect(gemm).toBeDefined();
    expect(gemm!.looks).toBeGreaterThan(0);
    // split only where its look measured it faster (adopted by a margin: ADOPT), else one thread; a split
    // the look adopted can have been dropped since (calls turned slower, or the helper did not help)
    if (gemm!.splitting) expect(gemm!.splitMs).toBeLessThan(gemm!.oneMs);
    else if (!gemm!.dropped) expect(gemm!.splitMs).toBeGreaterThanOrEqual(ADOPT * gemm!.oneMs);
    else expect(gemm!.splitMs).toBeLessThan(gemm!.oneMs);
    const text = formatSplitChoices(splitChoices(), true);
    expect(text).toMatch(/^threads: \d+ of \d+ kernels/);
    expect(text).toContain(`matrix product [256,512]·[512,64]: ${gemm!.splitting ? 'two threads' : 'one thread'}`);
    expect(formatSplitChoices([], false)).toContain('one (--threads 1)');
  });

  it('a parked helper: the caller takes its share back, the same bits', async () => {
    // the helper sees each job and then does not run for 20 ms before it tries to claim it
    await startHelper(`{ const ce = Atomics.compareExchange; Atomics.compareExchange = (...a) => { const t = Date.now(); while (Date.now() - t < 20); return ce(...a); }; }\n`);
    SplitTimer.force = true;
    const states: number[] = [];
    expect(outputs(2, () => states.push(stateOf()))).toEqual(alone);
    expect(states.filter((s) => s === REVOKED).length).toBeGreaterThan(0);
    expect(states.every((s) => s === REVOKED || s === TAKEN)).toBe(true);
  });

  it('a helper parked in the middle of a chunk (GEMM by rows and by columns, matrix-vector, vector-matrix): the caller takes it back, the same bits', async () => {
    // the helper computes each chunk and then does not run for 300 ms before it would copy it into C (GEMM,
    // matrix-vector) or mark its partial sums done (vector-matrix)
    await startHelper(`{ const ce = Atomics.compareExchange; Atomics.compareExchange = (v, i, e, r) => { if (v.length === ${MAX_CHUNKS} && e === ${CHUNK.HELPER} && (r === ${CHUNK.COPYING} || r === ${CHUNK.DONE})) { const t = Date.now(); while (Date.now() - t < 300); } return ce(v, i, e, r); }; }\n`);
    SplitTimer.force = true;
    for (const which of [0, 2, 3, 12, ...byColumns]) {
      const { M, N, kernel, a, b, bias } = kernels[which];
      const c = h.alloc(M * N).fill(NaN);
      const bits = () => new Uint32Array(c.buffer, c.byteOffset, M * N);
      let takenBack = 0;
      // (on a busy machine the helper may wake after the caller has taken every chunk: try again)
      for (let t = 0; t < 12 && takenBack === 0; t++) {
        while (!readyHelper()!.idle) await new Promise((r) => setTimeout(r, 20)); // posted only when idle
        const start = performance.now();
        kernel(bias ? [a, b, bias] : [a, b], c);
        const ms = performance.now() - start;
        takenBack += readyHelper()!.chunks.filter((s) => s === CHUNK.TAKEN_BACK).length;
        expect(bits(), `case ${which}`).toEqual(alone[which]);
        expect(ms).toBeLessThan(250); // never waited for the parked helper
        while (!readyHelper()!.idle) await new Promise((r) => setTimeout(r, 20));
        // the helper has woken and finished the chunk it held: the output is still the caller's
        expect(bits(), `case ${which}, after the helper woke`).toEqual(alone[which]);
      }
      expect(takenBack, `case ${which}`).toBeGreaterThan(0);
      h.free(c);
    }
    expect(outputs(2)).toEqual(alone);
  });

  it('a slow helper: the caller waits for the share it claimed, the same bits', async () => {
    // the helper takes 20 ms longer to announce each job done
    await startHelper(`{ const st = Atomics.store; Atomics.store = (v, i, x) => { if (i === ${CONTROL.DONE}) { const t = Date.now(); while (Date.now() - t < 20); } return st(v, i, x); }; }\n`);
    SplitTimer.force = true;
    expect(outputs(3)).toEqual(alone);
    // a job the helper has claimed (the caller gives it time to): \`finish\` waits until it is done
    const hp = readyHelper()!;
    const { M, K, a: A, b: v } = kernels[2]; // the matrix-vector case: the helper's kernel over all rows (one chunk)
    const c = h.alloc(M).fill(NaN);
    hp.post('matvec', A.byteOffset, K * 4, v.byteOffset, c.byteOffset, M, (K - (K % 16)) * 4, (K - (K % 4)) * 4, K * 4, M, 0, hp.freeChunks(1), hp.spare(M));
    expect(hp.finish(10_000)).toBe(false);
    expect(stateOf()).toBe(TAKEN);
    expect(new Uint32Array(c.buffer, c.byteOffset, M)).toEqual(alone[2]);
    h.free(c);
  });
});
