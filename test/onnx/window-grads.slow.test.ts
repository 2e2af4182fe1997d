/**
 * The ONNX forms of the window gradients (compiler/ops/window-onnx.ts) in onnxruntime against graphc's own
 * kernels: each gradient op alone over a grid of attributes (stride, padding, dilation, groups, overlapping
 * windows, ceil mode, the average's divisor, ties in max pooling), checked by onnx.checker; and the digits
 * CNN's exported training step iterated in onnxruntime on the real digits, reaching graphc's parameters.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import * as B from '../../compiler/ir/build.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import { inLeafScope, type Node } from '../../compiler/ir/node.ts';
import { convAttrs } from '../../compiler/ops/conv.ts';
import { poolAttrs } from '../../compiler/ops/pool.ts';
import { compileModel } from '../../compiler/passes/index.ts';
import { exportGraph, exportModel } from '../../export/index.ts';
import { parseCsv } from '../../runtime/data.ts';
import digitsCnn from '../../graphs/digits-cnn.ts';
import { runGraph, randoms, type Feeds } from '../support/run.ts';
import { hasOnnx, python, sayIfMissing } from '../support/peers.ts';

sayIfMissing('python3-onnx (onnx.checker)', hasOnnx, 'window-grads.slow.test');
const dir = mkdtempSync(join(tmpdir(), 'graphc-window-'));

const inp = (name: string, shape: number[]) => B.mk('Input', [], { name, shape, dtype: 'f32' });

async function ortRun(path: string, feeds: Feeds): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(path);
  const out = await session.run(Object.fromEntries(session.inputNames.map((n) => [n, new ort.Tensor('float32', Float32Array.from(feeds[n].data), feeds[n].shape)])));
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.data as Float32Array]));
}

const check = (path: string) => hasOnnx && python(`import onnx,sys\nonnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)`, [path]);

interface Case { name: string; shapes: [number[], number[]]; build: (a: Node, b: Node) => Node; ties?: boolean }

const conv = convAttrs({ stride: [2, 1], pads: [1, 0, 0, 1], dilation: [1, 2], group: 2 });
const cases: Case[] = [
  { name: 'ConvBackInput, stride/pads/dilation/groups', shapes: [[2, 4, 3, 4], [4, 1, 2, 2]], build: (g, w) => B.mk('ConvBackInput', [g, w], { ...conv, inShape: [2, 2, 5, 5] }) },
  { name: 'ConvBackInput, stride 2 with a row left over', shapes: [[2, 3, 3, 3], [3, 2, 3, 3]], build: (g, w) => B.mk('ConvBackInput', [g, w], { ...convAttrs({ stride: [2, 2], pads: [1, 1, 1, 1] }), inShape: [2, 2, 6, 6] }) },
  { name: 'ConvBackWeight, stride/pads/dilation/groups', shapes: [[2, 4, 3, 4], [2, 2, 5, 5]], build: (g, x) => B.mk('ConvBackWeight', [g, x], { ...conv, inShape: [4, 1, 2, 2] }) },
  { name: 'ConvBackWeight, stride 2 with a row left over', shapes: [[2, 3, 3, 3], [2, 2, 6, 6]], build: (g, x) => B.mk('ConvBackWeight', [g, x], { ...convAttrs({ stride: [2, 2], pads: [1, 1, 1, 1] }), inShape: [3, 2, 3, 3] }) },
  { name: 'MaxPoolGrad 2×2, ties', shapes: [[2, 3, 4, 4], [2, 3, 8, 8]], build: (g, x) => B.mk('MaxPoolGrad', [g, x], poolAttrs({ kernel: [2, 2] })), ties: true },
  { name: 'MaxPoolGrad 3×3 stride 2 pads 1 (overlapping), ties', shapes: [[2, 2, 3, 3], [2, 2, 6, 5]], build: (g, x) => B.mk('MaxPoolGrad', [g, x], poolAttrs({ kernel: [3, 3], stride: [2, 2], pads: [1, 1, 1, 1] })), ties: true },
  { name: 'MaxPoolGrad 2×2 ceil mode, rows left over', shapes: [[1, 2, 3, 2], [1, 2, 5, 5]], build: (g, x) => B.mk('MaxPoolGrad', [g, x], poolAttrs({ kernel: [2, 2], stride: [2, 3], ceil: true })) },
  { name: 'AvgPoolGrad 3×3 stride 2 pads 1, padding counted', shapes: [[2, 2, 3, 3], [2, 2, 6, 5]], build: (g, x) => B.mk('AvgPoolGrad', [g, x], poolAttrs({ kernel: [3, 3], stride: [2, 2], pads: [1, 1, 1, 1] }, true)) },
  { name: 'AvgPoolGrad 3×3 stride 2 pads 1, padding not counted, ceil', shapes: [[2, 2, 3, 3], [2, 2, 6, 5]], build: (g, x) => B.mk('AvgPoolGrad', [g, x], poolAttrs({ kernel: [3, 3], stride: [2, 2], pads: [1, 1, 1, 1], ceil: true, countIncludePad: false }, true)) },
  { name: 'AvgPoolGrad 2×2 stride 2, a row no window reaches', shapes: [[1, 2, 2, 2], [1, 2, 5, 5]], build: (g, x) => B.mk('AvgPoolGrad', [g, x], poolAttrs({ kernel: [2, 2] }, true)) },
];

describe('window gradients as ONNX, alone', () => {
  for (const c of cases)
    it(`${c.name}: checker, onnxruntime equals graphc`, async () => {
      const g = inLeafScope(() => new Graph([{ name: 'y', node: c.build(inp('a', c.shapes[0]), inp('b', c.shapes[1])) }]));
      const path = join(dir, `${c.name.replace(/\W+/g, '-')}.onnx`);
      writeFileSync(path, exportGraph(g, { mode: 'inference', name: 'grad' }));
      check(path);
      const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
      // ties: values on a grid of halves, so that windows hold equal maxima and the first one must win
      const b = randoms(size(c.shapes[1]), 5).map((v) => (c.ties ? Math.round(v * 2) / 2 : v));
      const feeds: Feeds = { a: { data: randoms(size(c.shapes[0]), 3), shape: c.shapes[0] }, b: { data: b, shape: c.shapes[1] } };
      const ours = runGraph(g, feeds).y, theirs = (await ortRun(path, feeds)).y;
      expect(theirs.length).toBe(ours.length);
      theirs.forEach((v, i) => expect(Math.abs(v - ours[i]), `y[${i}]: ${v} vs ${ours[i]}`).toBeLessThanOrEqual(1e-5));
    });
});

describe('the digits CNN\'s training step in onnxruntime', () => {
  it('8 steps on the digits reach graphc\'s parameters', async () => {
    const built = digitsCnn.build();
    const compiled = compileModel(built, { lr: digitsCnn.train.lr, optimizer: digitsCnn.train.optimizer });
    const path = join(dir, 'digits-cnn.train.onnx');
    writeFileSync(path, exportModel(compiled, 'train'));
    check(path);
    const data = parseCsv(readFileSync(new URL('../../data/digits.csv', import.meta.url), 'utf8'));
    const step = compiled.trainStep;
    const state = step.params.map((p) => String(p.attrs.name)).filter((p) => step.has(`next:${p}`));
    // conv2's bias feeds batch normalization, which subtracts it again: its gradient is rounding noise, which
    // Adam with a zero second moment turns into steps of ±lr (and the running mean follows). Its second moment
    // starts at 1 instead, so that noise moves it by nothing measurable; every other leaf starts as initialized.
    const start = (name: string, init: Float32Array) => (name === 'conv2.bias.exp_avg_sq' ? Array.from(init, () => 1) : Array.from(init));
    let ours: Feeds = Object.fromEntries(step.params.map((p) => [String(p.attrs.name), { data: start(String(p.attrs.name), p.attrs.init as Float32Array), shape: p.shape as number[] }]));
    let theirs = ours;
    const BATCH = 64;
    for (let s = 0; s < 8; s++) {
      const rows = Array.from({ length: BATCH }, (_, i) => (s * BATCH + i * 7) % data.rows);
      const batch: Feeds = {
        x: { data: rows.flatMap((r) => Array.from(data.x.subarray(r * 64, r * 64 + 64))), shape: [BATCH, 1, 8, 8] },
        y: { data: rows.map((r) => data.y[r]), shape: [BATCH] },
      };
      const a = runGraph(step, { ...ours, ...batch }), b = await ortRun(path, { ...theirs, ...batch });
      expect(Math.abs(b.loss[0] - a.loss[0]), `step ${s} loss ${b.loss[0]} vs ${a.loss[0]}`).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(a.loss[0])));
      ours = { ...ours, ...Object.fromEntries(state.map((p) => [p, { data: Array.from(a[`next:${p}`]), shape: ours[p].shape }])) };
      theirs = { ...theirs, ...Object.fromEntries(state.map((p) => [p, { data: Array.from(b[`${p}.next`]), shape: theirs[p].shape }])) };
    }
    for (const p of state)
      Array.from(ours[p].data).forEach((v, i) => expect(Math.abs(v - theirs[p].data[i]), `${p}[${i}]: ${v} vs ${theirs[p].data[i]}`).toBeLessThanOrEqual(2e-4 * Math.max(1, Math.abs(v))));
    expect(state.length).toBeGreaterThan(20);
  });
});
