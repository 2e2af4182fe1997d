/**
 * jax-js's side of graphc's benchmark, on its wasm device: W2 (a jit-compiled train step: value and
 * gradient of the BCE-on-logits loss, then the SGD update) and MM. One JSON document on stdout.
 */
import { numpy as np, jit, grad, init, defaultDevice } from '@jax-js/jax';
import { readFileSync } from 'node:fs';
import { bestCall, bestOf } from '../timing.ts';

const arg = (name: string, d: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : d);
const diabetes = arg('--diabetes', 'data/data-03-diabetes.csv');

const best = (fn: () => unknown, repeats = 3) => bestOf(repeats, fn);

await init('wasm' as never);
defaultDevice('wasm');
const results: Record<string, unknown> = {};

const rows = readFileSync(diabetes, 'utf8').trim().split('\n').map((l) => l.split(',').map(Number));
const n = rows.length;
const xs = Float32Array.from(rows.flatMap((r) => r.slice(0, -1)));
const ys = Float32Array.from(rows.map((r) => r[r.length - 1]));
type P = { W: np.Array; b: np.Array };
const loss = (p: P, x: np.Array, y: np.Array) => {
  const z = np.matmul(x, p.W).add(p.b);
  // mean(max(z, 0) - z*y + log(1 + exp(-|z|)))
  return np.maximum(z.ref, 0).sub(z.ref.mul(y)).add(np.log1p(np.exp(np.negative(np.abs(z))))).mean();
};
const step = jit((p: P, x: np.Array, y: np.Array) => {
  const g = grad(loss)({ W: p.W.ref, b: p.b.ref }, x, y) as P;
  return { W: p.W.sub(g.W.mul(1)), b: p.b.sub(g.b.mul(1)) };
});
try {
  results.W2 = await best(async () => {
    const x = np.array(xs).reshape([n, 8]);
    const y = np.array(ys).reshape([n, 1]);
    let p: P = { W: np.zeros([8, 1]), b: np.zeros([1]) };
    for (let i = 0; i < 101; i++) p = step(p, x.ref, y.ref) as P;
    await p.W.jsAsync();
    p.b.dispose();
    x.dispose();
    y.dispose();
  });
} catch (e) {
  results.W2 = { skipped: `jax-js W2 failed: ${(e as Error).message.split('\n')[0]}` };
}
try {
  const a = np.array(Float32Array.from({ length: 1024 * 1024 }, () => Math.random())).reshape([1024, 1024]);
  const b = np.array(Float32Array.from({ length: 1024 * 1024 }, () => Math.random())).reshape([1024, 1024]);
  const mm = jit((u: np.Array, v: np.Array) => np.matmul(u, v));
  const r = await bestCall(async () => {
    await mm(a.ref, b.ref).jsAsync();
  });
  results.MM = { ...r, gflops: (2 * 1024 ** 3) / r.seconds / 1e9 };
} catch (e) {
  results.MM = { skipped: `jax-js MM failed: ${(e as Error).message.split('\n')[0]}` };
}
console.log(JSON.stringify({ peer: 'jax-js-wasm', version: '0.1.25', threads: 1, results }));
process.exit(0);
