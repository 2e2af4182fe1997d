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
import { bestCall, bestOf } from '../timing.ts';

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

/**
 * A 2-D convolution (NHWC) as TensorFlow.js's 3-D one over a depth of 1: the wasm backend has no kernel for
 * conv2d's filter gradient (Conv2DBackpropFilter), and has conv3d's both ways.
 */
const conv = (x: tf.Tensor4D, w: tf.Tensor4D, pad: 'same' | 'valid') =>
  tf.conv3d(x.expandDims(1) as tf.Tensor5D, w.expandDims(0) as tf.Tensor5D, 1, pad).squeeze([1]) as tf.Tensor4D;

/** W6a's network in NHWC (TensorFlow.js's layout): its parameters, and a step's loss with its batch statistics. */
function digitsCnn() {
  const filter = (k: number, c: number, o: number) => tf.variable(tf.randomUniform([k, k, c, o], -1 / Math.sqrt(c * k * k), 1 / Math.sqrt(c * k * k)));
  return {
    c1: filter(3, 1, 8), b1: tf.variable(tf.zeros([8])), c2: filter(3, 8, 16), b2: tf.variable(tf.zeros([16])),
    gamma: tf.variable(tf.ones([16])), beta: tf.variable(tf.zeros([16])),
    fc: tf.variable(tf.randomUniform([64, 10], -0.125, 0.125)), fb: tf.variable(tf.zeros([10])),
  };
}
type Cnn = ReturnType<typeof digitsCnn>;
function digitsLoss(p: Cnn, x: tf.Tensor4D, y: tf.Tensor2D, stats: tf.Tensor[]) {
  const pool = (t: tf.Tensor4D) => tf.maxPool(t, 2, 2, 'valid');
  const h1 = pool(conv(x, p.c1 as tf.Tensor4D, 'same').add(p.b1).relu() as tf.Tensor4D);
  const z2 = conv(h1, p.c2 as tf.Tensor4D, 'same').add(p.b2) as tf.Tensor4D;
  const { mean, variance } = tf.moments(z2, [0, 1, 2]);
  stats.push(tf.keep(mean), tf.keep(variance));
  const h2 = pool(tf.batchNorm(z2, mean, variance, p.beta, p.gamma, 1e-5).relu() as tf.Tensor4D);
  return tf.losses.softmaxCrossEntropy(y, h2.reshape([-1, 64]).matMul(p.fc).add(p.fb)) as tf.Scalar;
}

async function main() {
  if (backend === 'wasm') setWasmPaths(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')) + '/');
  if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend(backend);
  await tf.ready();
  const results: Record<string, unknown> = {};
  // W6 (convolutions) on the wasm backend only unless asked for: the cpu backend's take many minutes
  const want = (w: string) => (only ? only.split(',').includes(w) : backend === 'wasm' || !w.startsWith('W6'));
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
    // (the cpu backend's call takes seconds: one warm-up and three calls there)
    const call = () => { tf.tidy(() => tf.softmax(forward(p, many)).dataSync()); };
    results.W5b4096 = backend === 'cpu' ? await best(call) : await bestCall(call);
  }
  if (want('W6a')) {
    // one epoch of the digits set at batch 64, shuffled, Adam (lr 0.005); BatchNorm's running statistics kept
    const rows = readFileSync(new URL('../../data/digits.csv', import.meta.url), 'utf8').trim().split('\n').filter((l) => !l.startsWith('#')).map((l) => l.split(',').map(Number));
    const x = tf.tensor4d(Float32Array.from(rows.flatMap((r) => r.slice(0, 64))), [rows.length, 8, 8, 1]);
    const y = tf.oneHot(tf.tensor1d(rows.map((r) => r[64]), 'int32'), 10) as tf.Tensor2D;
    results.W6a = await best(async () => {
      const p = digitsCnn();
      const runMean = tf.variable(tf.zeros([16])), runVar = tf.variable(tf.ones([16]));
      const opt = tf.train.adam(0.005);
      const order = tf.util.createShuffledIndices(rows.length);
      for (let i = 0; i < rows.length; i += 64) {
        const idx = tf.tensor1d(Int32Array.from(order.subarray(i, i + 64)), 'int32');
        const xb = tf.gather(x, idx) as tf.Tensor4D, yb = tf.gather(y, idx) as tf.Tensor2D;
        const stats: tf.Tensor[] = [];
        const cost = opt.minimize(() => digitsLoss(p, xb, yb, stats), true, Object.values(p));
        cost!.dataSync();
        tf.tidy(() => {
          runMean.assign(runMean.mul(0.9).add(stats[0].mul(0.1)));
          runVar.assign(runVar.mul(0.9).add(stats[1].mul(0.1)));
        });
        tf.dispose([cost!, idx, xb, yb, ...stats]);
      }
      tf.dispose([...Object.values(p), runMean, runVar]);
      opt.dispose();
    });
  }
  if (want('W6b')) {
    // 8,192 synthetic 28×28 images at batch 128, in order, SGD (lr 0.05)
    const x = tf.randomNormal([8192, 28, 28, 1], 0, 1, 'float32', 0) as tf.Tensor4D;
    const y = tf.oneHot(tf.randomUniform([8192], 0, 10, 'int32', 1) as tf.Tensor1D, 10) as tf.Tensor2D;
    const run = async () => {
      const u = (shape: number[], fan: number) => tf.variable(tf.randomUniform(shape, -1 / Math.sqrt(fan), 1 / Math.sqrt(fan)));
      const p = { c1: u([3, 3, 1, 32], 9), b1: u([32], 9), c2: u([3, 3, 32, 64], 288), b2: u([64], 288), fc: u([1600, 10], 1600), fb: u([10], 1600) };
      const opt = tf.train.sgd(0.05);
      const pool = (t: tf.Tensor4D) => tf.maxPool(t, 2, 2, 'valid');
      for (let i = 0; i < 8192; i += 128) {
        const xb = x.slice([i, 0, 0, 0], [128, 28, 28, 1]), yb = y.slice([i, 0], [128, 10]);
        const cost = opt.minimize(() => {
          const h1 = pool(conv(xb, p.c1 as tf.Tensor4D, 'valid').add(p.b1).relu() as tf.Tensor4D);
          const h2 = pool(conv(h1, p.c2 as tf.Tensor4D, 'valid').add(p.b2).relu() as tf.Tensor4D);
          return tf.losses.softmaxCrossEntropy(yb, h2.reshape([-1, 1600]).matMul(p.fc).add(p.fb)) as tf.Scalar;
        }, true, Object.values(p));
        cost!.dataSync();
        tf.dispose([cost!, xb, yb]);
      }
      tf.dispose(Object.values(p));
      opt.dispose();
    };
    // one timed run after the warm-up: each takes minutes
    results.W6b = { ...(await best(run, 1)), note: 'one timed run after the warm-up (each takes minutes)' };
  }
  if (want('MM')) {
    const a = tf.randomNormal([1024, 1024]) as tf.Tensor2D, b = tf.randomNormal([1024, 1024]) as tf.Tensor2D;
    const call = () => { tf.tidy(() => a.matMul(b).dataSync()); };
    const r = backend === 'cpu' ? await best(call, 1) : await bestCall(call);
    results.MM = { ...r, gflops: (2 * 1024 ** 3) / r.seconds / 1e9 };
  }
  console.log(JSON.stringify({ peer: `tfjs-${backend}`, version: tf.version.tfjs, threads: 1, results }));
}
await main();
