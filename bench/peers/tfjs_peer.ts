/**
 * TensorFlow.js's side of graphc's benchmark: `--backend cpu|wasm`. Training with tf.train.sgd and
 * optimizer.minimize, inference inside tf.tidy; one JSON document on stdout. W4 on the cpu backend takes
 * tens of seconds, so it runs once there (say so in the JSON).
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { bestOf } from '../timing.ts';

const arg = (name: string, d: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : d);
const backend = arg('--backend', 'cpu');
const diabetes = arg('--diabetes', 'data/data-03-diabetes.csv');
const only = arg('--only', '');

const best = (fn: () => unknown, repeats = 3) => bestOf(repeats, fn);

function logreg(x: tf.Tensor2D, y: tf.Tensor2D, steps: number, lr: number) {
  return async () => {
    const W = tf.variable(tf.zeros([x.shape[1], 1]));
    const b = tf.variable(tf.zeros([1]));
    const opt = tf.train.sgd(lr);
    for (let i = 0; i < steps; i++) {
      const cost = opt.minimize(() => tf.losses.sigmoidCrossEntropy(y, x.matMul(W).add(b)) as tf.Scalar, true, [W, b]);
      cost!.dataSync();
      cost!.dispose();
    }
    W.dispose(); b.dispose(); opt.dispose();
  };
}

function mlpParams() {
  return {
    W1: tf.variable(tf.randomNormal([784, 256], 0, 0.05)), b1: tf.variable(tf.zeros([256])),
    W2: tf.variable(tf.randomNormal([256, 10], 0, 0.05)), b2: tf.variable(tf.zeros([10])),
  };
}
const forward = (p: ReturnType<typeof mlpParams>, x: tf.Tensor2D) => x.matMul(p.W1).add(p.b1).relu().matMul(p.W2).add(p.b2) as tf.Tensor2D;

async function main() {
  if (backend === 'wasm') setWasmPaths(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')) + '/');
  if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend(backend);
  await tf.ready();
  const results: Record<string, unknown> = {};
  const want = (w: string) => !only || only === w;
  if (want('W1')) results.W1 = await best(logreg(tf.tensor2d([[1, 2], [2, 3], [3, 1], [4, 3], [5, 3], [6, 2]]), tf.tensor2d([[0], [0], [0], [1], [1], [1]]), 1001, 1));
  if (want('W2')) {
    const rows = readFileSync(diabetes, 'utf8').trim().split('\n').map((l) => l.split(',').map(Number));
    results.W2 = await best(logreg(tf.tensor2d(rows.map((r) => r.slice(0, -1))), tf.tensor2d(rows.map((r) => [r[r.length - 1]])), 101, 1));
  }
  if (want('W3')) {
    const x = tf.randomNormal([100_000, 256], 0, 1, 'float32', 0) as tf.Tensor2D;
    const y = tf.tidy(() => x.matMul(tf.randomNormal([256, 1], 0, 1, 'float32', 1)).greater(0).toFloat()) as tf.Tensor2D;
    results.W3 = await best(logreg(x, y, 10, 0.1), backend === 'cpu' ? 1 : 3);
  }
  if (want('W4')) {
    const x = tf.randomNormal([8192, 784], 0, 1, 'float32', 0) as tf.Tensor2D;
    const y = tf.oneHot(tf.randomUniform([8192], 0, 10, 'int32', 1) as tf.Tensor1D, 10) as tf.Tensor2D;
    const run = async () => {
      const p = mlpParams();
      const opt = tf.train.sgd(0.05);
      for (let i = 0; i < 8192; i += 128) {
        const xb = x.slice([i, 0], [128, 784]), yb = y.slice([i, 0], [128, 10]);
        const cost = opt.minimize(() => tf.losses.softmaxCrossEntropy(yb, forward(p, xb)) as tf.Scalar, true, Object.values(p));
        cost!.dataSync();
        tf.dispose([cost!, xb, yb]);
      }
      tf.dispose(Object.values(p));
      opt.dispose();
    };
    results.W4 = backend === 'cpu' ? { ...(await best(run, 1)), note: 'one timed run after the warm-up (each takes many seconds)' } : await best(run);
  }
  if (want('W5')) {
    const p = mlpParams();
    const one = tf.randomNormal([1, 784]) as tf.Tensor2D, many = tf.randomNormal([4096, 784]) as tf.Tensor2D;
    const r = await best(() => { for (let i = 0; i < 1000; i++) tf.tidy(() => tf.softmax(forward(p, one)).dataSync()); });
    results.W5b1 = { seconds: r.seconds / 1000, all: r.all.map((t) => t / 1000) };
    results.W5b4096 = await best(() => { tf.tidy(() => tf.softmax(forward(p, many)).dataSync()); });
  }
  if (want('MM')) {
    const a = tf.randomNormal([1024, 1024]) as tf.Tensor2D, b = tf.randomNormal([1024, 1024]) as tf.Tensor2D;
    const r = await best(() => { tf.tidy(() => a.matMul(b).dataSync()); }, backend === 'cpu' ? 1 : 3);
    results.MM = { ...r, gflops: (2 * 1024 ** 3) / r.seconds / 1e9 };
  }
  console.log(JSON.stringify({ peer: `tfjs-${backend}`, version: tf.version.tfjs, threads: 1, results }));
}
await main();
