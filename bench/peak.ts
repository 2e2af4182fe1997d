/**
 * What this machine's WebAssembly SIMD can do at best: a loop of independent f32x4 multiply-adds (relaxed
 * SIMD's fused form where the engine has it, as graphc's kernels use), twelve accumulators so that no add
 * waits on another, nothing loaded from memory. Its GFLOP/s bound every WebAssembly kernel on one thread;
 * native peers with wider vectors (AVX2's 256 bits, AVX-512's 512) are not bound by it. The same loop on
 * two threads at once (the calling thread and a worker) bounds a kernel split over both: measured, not
 * taken as twice one thread's, since two cores of a virtual machine may share what one has alone.
 */
import { Worker } from 'node:worker_threads';
import { module, type Func } from '../runtime/kernels/wasm/asm.ts';
import { FunctionBuilder } from '../runtime/kernels/wasm/builder.ts';
import { hasRelaxedSimd } from '../runtime/kernels/wasm/module.ts';

const ACC = 12;

function peakKernel(fma: boolean): Func {
  const f = new FunctionBuilder('peak', ['i32']);
  const [n] = f.params;
  const [i] = f.locals('i32', 1), [x, y] = f.locals('v128', 2), acc = f.locals('v128', ACC);
  f.f32x4(1.0000001).set(x).f32x4(0.9999999).set(y);
  acc.forEach((a, k) => f.f32x4(k).set(a));
  f.i32(0).set(i);
  f.forUp(i, n, 1, () => {
    for (const a of acc)
      if (fma) f.get(a, x, y).op('f32x4.relaxed_madd').set(a);
      else f.get(a, x).op('f32x4.mul').get(y).op('f32x4.add').set(a);
  });
  // keep the sums alive: store lane 0 of their total at address 0
  f.i32(0).get(acc[0]);
  for (const a of acc.slice(1)) f.get(a).op('f32x4.add');
  f.op('f32x4.extract_lane', 0).op('f32.store');
  return f.func();
}

const N = 1 << 20, ROUNDS = 5;
/** GFLOP of one run of the loop over `N`. */
const GFLOP = (ACC * 4 * 2 * N) / 1e9;

/** The loop's module, and a function running it in a fresh instance (each thread its own). */
function peakModule(): { bytes: Uint8Array<ArrayBuffer>; run: (n: number) => void } {
  const bytes = module([peakKernel(hasRelaxedSimd())], { shared: false }) as Uint8Array<ArrayBuffer>;
  const memory = new WebAssembly.Memory({ initial: 1 });
  return { bytes, run: new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports.peak as (n: number) => void };
}

/** Best GFLOP/s of the loop on the calling thread, over a few rounds of about 20 ms. */
export function simdPeakGflops(): number {
  const { run } = peakModule();
  const n = N;
  run(n);
  let best = 0;
  for (let round = 0; round < 5; round++) {
    const t = performance.now();
    run(n);
    const s = (performance.now() - t) / 1000;
    best = Math.max(best, GFLOP / s);
  }
  return best;
}

// the worker's side: its own instance of the loop, each round begun when the caller moves `sync[0]` to
// the round's number and its time written to `times` before `sync[1]` counts it done
const workerSource = `
const { workerData } = require('node:worker_threads');
const { bytes, n, rounds } = workerData, sync = new Int32Array(workerData.sync), times = new Float64Array(workerData.times);
const run = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory: new WebAssembly.Memory({ initial: 1 }) } }).exports.peak;
run(n);
Atomics.store(sync, 1, -1), Atomics.notify(sync, 1);
for (let r = 1; r <= rounds; r++) {
  Atomics.wait(sync, 0, r - 1);
  const t = performance.now();
  run(n);
  times[r - 1] = performance.now() - t;
  Atomics.store(sync, 1, r), Atomics.notify(sync, 1);
}`;

/**
 * Best GFLOP/s of the loop on two threads at once: the calling thread and a worker each run it in rounds
 * begun together; a round's figure is both threads' work over the longer of their two times.
 */
export async function simdPeakGflopsTwoThreads(): Promise<number> {
  const { bytes, run } = peakModule();
  const sync = new Int32Array(new SharedArrayBuffer(8)), times = new Float64Array(new SharedArrayBuffer(8 * ROUNDS));
  const worker = new Worker(workerSource, { eval: true, workerData: { bytes, n: N, rounds: ROUNDS, sync: sync.buffer, times: times.buffer } });
  const failed = new Promise<never>((_, reject) => worker.once('error', reject));
  try {
    // the worker ready (its loop compiled and run once), without blocking this thread's event loop
    await Promise.race([failed, (async () => { while (Atomics.load(sync, 1) !== -1) await new Promise((r) => setTimeout(r, 1)); })()]);
    run(N);
    let best = 0;
    for (let r = 1; r <= ROUNDS; r++) {
      Atomics.store(sync, 0, r), Atomics.notify(sync, 0);
      const t = performance.now();
      run(N);
      const mine = performance.now() - t;
      while (Atomics.load(sync, 1) !== r) Atomics.wait(sync, 1, Atomics.load(sync, 1), 1000);
      best = Math.max(best, (2 * GFLOP) / (Math.max(mine, times[r - 1]) / 1000));
    }
    return best;
  } finally {
    await worker.terminate();
  }
}
