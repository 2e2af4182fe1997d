/**
 * graphc's side of the benchmark (../shared/reference/workloads.md), timed like the peers: in-process,
 * data already in memory, best of 3 after a warm-up (W5 at batch 4096 and MM: ten calls, then the best of
 * twenty, as `bestCall` in timing.ts). Training is timed as PyTorch's timed region runs it: the model's
 * construction (graphc: build, passes, planning) and the loop, the cost on every step.
 * `--only W4` runs one workload (peak memory is read from a process that ran W4 alone); `--only W3,W4,MM` those.
 * Beside the workloads (in `COMPILE`): each model's compile time by part, warm.
 */
import { readFileSync } from 'node:fs';
import '../compiler/ops/index.ts';
import { defineModel, input, param, zeros, binaryCrossEntropy, crossEntropy, Conv2d, MaxPool2d, Flatten, Linear } from '../compiler/index.ts';
import { compileModel } from '../compiler/passes/compile.ts';
import { Graph } from '../compiler/ir/graph.ts';
import * as B from '../compiler/ir/build.ts';
import { inLeafScope } from '../compiler/ir/node.ts';
import { TorchGenerator } from '../compiler/init/torch-random.ts';
import { FastRandom } from '../compiler/init/fast-random.ts';
import { Executable, ParamStore } from '../runtime/executable.ts';
import { Trainer, stepUpdates } from '../runtime/trainer.ts';
import { Plan } from '../runtime/plan.ts';
import { feedsFor, fit } from '../runtime/fit.ts';
import type { TrainConfig } from '../compiler/dsl/model.ts';
import { parseCsv, type Dataset } from '../runtime/data.ts';
import { resident } from '../runtime/kernels/heap.ts';
import { useNodeHelperThread, useV8Settings } from '../runtime/node.ts';
import { simdPeakGflops, simdPeakGflopsTwoThreads } from './peak.ts';
import { CALL_REPEATS, CALL_WARM } from './timing.ts';
import toy from '../graphs/toy.ts';
import diabetes from '../graphs/diabetes.ts';
import mlp, { syntheticData } from '../graphs/mlp-w4.ts';
import digitsCnn from '../graphs/digits-cnn.ts';
import type { Model } from '../compiler/dsl/model.ts';

const arg = (name: string, d: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : d);
const only = arg('--only', '');
// `--threads 2` (the CLI's default on this machine): large kernels are split with the helper thread
const threads = Number(arg('--threads', '2'));
useV8Settings(); // as the CLI: fused multiply-adds where V8 has them behind a flag, inline caches from a function's first call
// the helper thread starts when a kernel first has work to split (W3's first step here); the warm-up
// run of each workload lets it start before the timed runs
if (threads === 2) useNodeHelperThread();
const diabetesCsv = arg('--diabetes', 'data/data-03-diabetes.csv');
const want = (w: string) => !only || only.split(',').includes(w);

type R = { seconds: number; all: number[]; [k: string]: unknown };
function best(fn: () => number, repeats = 3, warm = 1): R {
  for (let i = 0; i < warm; i++) fn();
  const all: number[] = [];
  for (let i = 0; i < repeats; i++) all.push(fn());
  return { seconds: Math.min(...all), all };
}
const timed = (fn: () => void) => () => {
  const t = performance.now();
  fn();
  return (performance.now() - t) / 1000;
};

/** A training run's time (seconds) and its parts: the model's build, the passes, planning, the loop. */
type Parts = { seconds: number; build: number; passes: number; plan: number; loop: number };
/** One warm-up run, then the run of least total time of `repeats`, with its parts and every total. */
function bestParts(fn: () => Parts, repeats = 3): R & Parts {
  fn();
  const runs = Array.from({ length: repeats }, fn);
  const min = runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  return { ...min, all: runs.map((r) => r.seconds) };
}

/**
 * Training as a caller of `fit` pays for it, on data already in the runtime's memory (as the peers'
 * tensors are in theirs: no peer's timed region makes or copies its data). Timed: the model built, its
 * training step compiled (the passes) and planned for the data's shapes, then `fit`, which computes the
 * cost on every step as PyTorch's and TensorFlow.js's loops do (`costEveryEpoch`) unless `seedLog` asks
 * for the steps the seed logs only (the others run without the loss). PyTorch's timed region likewise
 * creates its parameters and optimizer.
 */
function training(model: Model, data: Dataset, train: TrainConfig, seedLog = false, compileOnly = false) {
  const owner = {};
  const placed = { ...data, x: resident(data.x, owner), y: resident(data.y, owner) };
  const batch = train.batchSize && train.batchSize < data.rows ? train.batchSize : data.rows;
  return (): Parts => {
    void owner;
    const t0 = performance.now();
    const m = model.build();
    const t1 = performance.now();
    const step = compileModel(m, { lr: train.lr, optimizer: train.optimizer }).trainStep;
    const t2 = performance.now();
    const trainer = new Trainer(step, new ParamStore(step.params));
    trainer.prepare(feedsFor(m.forward, placed, batch));
    const t3 = performance.now();
    if (!compileOnly) fit(trainer, placed, train, { metrics: null, shuffler: m.generator, costEveryEpoch: !seedLog });
    const t4 = performance.now();
    // the run's memory in the runtime's heap freed now, as PyTorch's is when its model is dropped (and the
    // tfjs peer's by dispose()); otherwise only a collection noticed between tasks frees it, never in this
    // synchronous loop, and every run would take fresh pages
    trainer.dispose();
    trainer.params.dispose();
    return { seconds: (t4 - t0) / 1e3, build: (t1 - t0) / 1e3, passes: (t2 - t1) / 1e3, plan: (t3 - t2) / 1e3, loop: (t4 - t3) / 1e3 };
  };
}

/** W6b's network: Conv2d(1,32,3) → ReLU → MaxPool2d(2) → Conv2d(32,64,3) → ReLU → MaxPool2d(2) → Flatten → Linear(1600,10). */
const cnnW6b = defineModel({
  name: 'cnn-w6b',
  seed: 0,
  train: { epochs: 0, lr: 0.05, logEvery: 1, logAccuracy: false, batchSize: 128, shuffle: false },
  build() {
    const conv1 = new Conv2d(1, 32, 3, {}, 'conv1'), conv2 = new Conv2d(32, 64, 3, {}, 'conv2');
    const pool = new MaxPool2d(2), flatten = new Flatten(), fc = new Linear(64 * 5 * 5, 10, 'fc');
    const x = input('x', ['N', 1, 28, 28]);
    const y = input('y', ['N']);
    const h = pool.forward(conv2.forward(pool.forward(conv1.forward(x).relu())).relu());
    const z = fc.forward(flatten.forward(h));
    return { loss: crossEntropy(z, y), predict: z.softmax(1) };
  },
});

/**
 * A model's compile time by part (build, passes, planning for the workload's batch): the median and the
 * least of 15 after 3 unrecorded, each part its own (milliseconds; the least is the figure a busy machine
 * disturbs least), as a program compiling a model a few times pays, while V8 is still compiling graphc's
 * code; and `settled`, the same after SETTLE compiles, as a program that compiles many models pays.
 */
const SETTLE = 300;
function compileTimes(model: Model, data: Dataset, train: TrainConfig) {
  const run = training(model, data, train, false, true);
  const measure = () => {
    const runs = Array.from({ length: 15 }, run);
    const sorted = (k: keyof Parts) => runs.map((r) => r[k] * 1e3).sort((a, b) => a - b);
    const part = (k: keyof Parts) => ({ median: sorted(k)[7], min: sorted(k)[0] });
    return { build: part('build'), passes: part('passes'), plan: part('plan'), total: part('seconds') };
  };
  for (let i = 0; i < 3; i++) run();
  const early = measure();
  for (let i = 3 + 15; i < SETTLE; i++) run();
  return { ...early, settled: measure() };
}
const compile: Record<string, ReturnType<typeof compileTimes>> = {};

const results: Record<string, unknown> = {};
// W1, W2: the seed's loops (epochs 0..1000 and 0..100, full batch, lr 1), the cost on every step as the
// peers compute it; beside them (not the targets' figure), the loops as the seed logs them, the cost on
// every 100th and 10th epoch only
const toyData = parseCsv(readFileSync(new URL('../data/toy.csv', import.meta.url), 'utf8'));
const diabetesData = want('W1') || want('W2') ? parseCsv(readFileSync(diabetesCsv, 'utf8')) : null;
if (want('W1')) {
  results.W1 = bestParts(training(toy, toyData, toy.train));
  compile.toy = compileTimes(toy, toyData, toy.train);
  results.W1_seedlog = bestParts(training(toy, toyData, toy.train, true));
}
if (want('W2')) {
  results.W2 = bestParts(training(diabetes, diabetesData!, diabetes.train));
  compile.diabetes = compileTimes(diabetes, diabetesData!, diabetes.train);
  results.W2_seedlog = bestParts(training(diabetes, diabetesData!, diabetes.train, true));
}
if (want('W3')) {
  const g = new FastRandom(0);
  const N = 100_000, D = 256;
  const x = g.normal(N * D, 0, 1);
  const w = g.normal(D, 0, 1);
  const y = new Float32Array(N);
  for (let i = 0; i < N; i++) {
    let s = 0;
    for (let k = 0; k < D; k++) s += x[i * D + k] * w[k];
    y[i] = s > 0 ? 1 : 0;
  }
  const wide = defineModel({
    name: 'w3',
    build() {
      const xi = input('x', ['N', D]);
      const yi = input('y', ['N', 1]);
      const W = param('W', [D, 1], zeros());
      const b = param('b', [1], zeros());
      const h = xi.matmul(W).add(b).sigmoid();
      return { loss: binaryCrossEntropy(h, yi), predict: h };
    },
  });
  // 10 full-batch steps (epochs 0..9), the cost computed at every one, as the peers do
  results.W3 = bestParts(training(wide, { x, y, rows: N, features: D }, { epochs: 9, lr: 0.1, logEvery: 1, logAccuracy: false }));
}
if (want('W4')) {
  // one epoch of 64 minibatches of 128, in order, the cost of every batch computed (the epoch's mean is logged)
  const data = syntheticData();
  results.W4 = bestParts(training(mlp, data, mlp.train));
  compile['mlp-w4'] = compileTimes(mlp, data, mlp.train);
  // the train step's arena for a batch of 128, beside the liveness lower bound and the unshared total
  const m = mlp.build();
  const step = compileModel(m, { lr: 0.05 }).trainStep;
  // (planned as the trainer plans it: its updates written in place)
  const plan = new Plan(step, new Map([['x', [128, 784]], ['y', [128]]]), { updates: stepUpdates(step) });
  results.W4_arena = { ...plan.memory };
}
// W6a: the digits CNN (graphs/digits-cnn.ts), one epoch of the 1,797 images at batch 64, shuffled, Adam
if (want('W6a')) {
  const digits = parseCsv(readFileSync(new URL('../data/digits.csv', import.meta.url), 'utf8'));
  const train = { ...digitsCnn.train, epochs: 0, lr: 0.005, holdout: undefined, logAccuracy: false };
  results.W6a = bestParts(training(digitsCnn, digits, train));
  compile['digits-cnn'] = compileTimes(digitsCnn, digits, train);
}
// W6b: a larger CNN on 8,192 synthetic 28×28 images (standard normal, labels uniform; seeded), batch 128
// in order, SGD lr 0.05, one epoch
if (want('W6b')) {
  const rows = 8192, g = new FastRandom(7);
  const images = { x: g.normal(rows * 784, 0, 1), y: g.integers(rows, 10), rows, features: 784, sample: [1, 28, 28] };
  results.W6b = bestParts(training(cnnW6b, images, cnnW6b.train));
}
// the two-thread SIMD peak just before each product workload as well as at the end (run.ts takes the
// highest): the machine's speed moves within minutes
const peaksBefore: number[] = [];
if (want('W5')) {
  if (want('PEAK')) peaksBefore.push(await simdPeakGflopsTwoThreads());
  const m = mlp.build();
  const inference = compileModel(m, { lr: 0.05 }).inference;
  const exe1 = new Executable(inference, new ParamStore(inference.params));
  const exeN = new Executable(inference, new ParamStore(inference.params));
  const g = new TorchGenerator(1);
  // like the peers' input tensors, the inputs are placed in the runtime's memory before the clock starts
  const one = { x: { data: resident(g.normal(784), exe1), shape: [1, 784] } };
  const many = { x: { data: resident(g.normal(4096 * 784), exeN), shape: [4096, 784] } };
  const calls = timed(() => { for (let i = 0; i < 1000; i++) exe1.run(one); });
  const r = best(calls);
  results.W5b1 = { seconds: r.seconds / 1000, all: r.all.map((t) => t / 1000) };
  results.W5b4096 = best(timed(() => exeN.run(many)), CALL_REPEATS, CALL_WARM);
}
if (want('MM')) {
  if (want('PEAK')) peaksBefore.push(await simdPeakGflopsTwoThreads());
  const g = new TorchGenerator(2);
  const plan = inLeafScope(() => {
    const a = B.mk('Input', [], { name: 'a', shape: [1024, 1024], dtype: 'f32' });
    const b = B.mk('Input', [], { name: 'b', shape: [1024, 1024], dtype: 'f32' });
    return new Plan(new Graph([{ name: 'c', node: B.matmul(a, b) }]), new Map([['a', [1024, 1024]], ['b', [1024, 1024]]]));
  });
  const leaves = new Map([['a', resident(g.uniform(1024 * 1024, -1, 1), plan)], ['b', resident(g.uniform(1024 * 1024, -1, 1), plan)]]);
  const r = best(timed(() => plan.run(leaves)), CALL_REPEATS, CALL_WARM);
  results.MM = { ...r, gflops: (2 * 1024 ** 3) / r.seconds / 1e9 };
}
// the most a WebAssembly SIMD kernel can do here on one thread and split over two (not a workload: the
// ceiling the others meet)
if (want('PEAK')) results.PEAK = { gflops: simdPeakGflops(), gflops2: await simdPeakGflopsTwoThreads(), before: peaksBefore };
results.COMPILE = compile;
results.peak_rss_bytes = process.resourceUsage().maxRSS * 1024;
console.log(JSON.stringify({ peer: threads === 2 ? 'graphc' : 'graphc-1t', version: '0.1.0', threads, results }));
process.exit(0);
