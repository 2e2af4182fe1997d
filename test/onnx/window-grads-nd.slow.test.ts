/**
 * The ONNX forms of the window gradients over 1 and 3 spatial axes (compiler/ops/window-onnx.ts), checked
 * by onnx.checker and run in onnxruntime-node against PyTorch on the same tensors: the convolution's input
 * and weight gradients against `torch.nn.grad.conv{1,3}d_input` and `…_weight` (strides with rows left
 * over, padding, dilation, groups), max and average pooling's against autograd through
 * `F.{max,avg}_pool{1,3}d` (overlapping windows, padding, ceil mode, the average's padding counted or not).
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import * as B from '../../compiler/ir/build.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import { inLeafScope } from '../../compiler/ir/node.ts';
import { exportGraph } from '../../export/index.ts';
import { poolAttrs } from '../../compiler/ops/pool.ts';
import { randoms } from '../support/run.ts';
import { hasOnnx, hasTorch, python, sayIfMissing } from '../support/peers.ts';

sayIfMissing('PyTorch (python3-torch)', hasTorch, 'window-grads-nd.slow.test');
const dir = mkdtempSync(join(tmpdir(), 'graphc-window-nd-'));

interface Case { name: string; x: number[]; w: number[]; stride: number[]; pad: number[]; dilation: number[]; group: number }
const CASES: Case[] = [
  { name: '1-D', x: [2, 4, 9], w: [6, 2, 3], stride: [2], pad: [1], dilation: [1], group: 2 },
  { name: '1-D dilated, a row left over', x: [1, 3, 10], w: [2, 3, 2], stride: [3], pad: [0], dilation: [2], group: 1 },
  { name: '3-D', x: [1, 2, 5, 4, 6], w: [3, 2, 2, 3, 2], stride: [2, 1, 2], pad: [1, 0, 1], dilation: [1, 1, 2], group: 1 },
  { name: '3-D groups', x: [2, 4, 4, 5, 3], w: [4, 2, 3, 2, 2], stride: [1, 2, 1], pad: [1, 1, 0], dilation: [1, 1, 1], group: 2 },
];

const out = (c: Case) => c.x.slice(2).map((n, i) => Math.floor((n + 2 * c.pad[i] - c.dilation[i] * (c.w[i + 2] - 1) - 1) / c.stride[i]) + 1);
const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
/** onnx.checker's full check of an exported file. */
const check = (path: string) => hasOnnx && python('import onnx, sys\nonnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)', [path]);

/** PyTorch's input and weight gradients of the convolution for x, w and the output gradient g. */
function torchGrads(c: Case, x: number[], w: number[], g: number[], gShape: number[]): { dx: number[]; dw: number[] } {
  return JSON.parse(python(`
import json, sys, torch
c, x, w, g, gs = [json.loads(a) for a in sys.argv[1:6]]
d = len(c['x']) - 2
f = {1: (torch.nn.grad.conv1d_input, torch.nn.grad.conv1d_weight), 3: (torch.nn.grad.conv3d_input, torch.nn.grad.conv3d_weight)}[d]
X = torch.tensor(x, dtype=torch.float64).reshape(c['x']); W = torch.tensor(w, dtype=torch.float64).reshape(c['w']); G = torch.tensor(g, dtype=torch.float64).reshape(gs)
kw = dict(stride=c['stride'], padding=c['pad'], dilation=c['dilation'], groups=c['group'])
print(json.dumps({'dx': f[0](c['x'], W, G, **kw).flatten().tolist(), 'dw': f[1](X, c['w'], G, **kw).flatten().tolist()}))
`, [JSON.stringify(c), JSON.stringify(x), JSON.stringify(w), JSON.stringify(g), JSON.stringify(gShape)]));
}

describe.skipIf(!hasTorch)('convolution gradients over 1 and 3 spatial axes as ONNX, against PyTorch', () => {
  for (const c of CASES)
    it(`${c.name}: onnxruntime on the export equals torch.nn.grad`, async () => {
      const gShape = [c.x[0], c.w[0], ...out(c)];
      const attrs = { stride: c.stride, pads: [...c.pad, ...c.pad], dilation: c.dilation, group: c.group };
      const inp = (name: string, shape: number[]) => B.mk('Input', [], { name, shape, dtype: 'f32' });
      const graph = inLeafScope(() => {
        const g = inp('g', gShape), w = inp('w', c.w), x = inp('x', c.x);
        return new Graph([
          { name: 'dx', node: B.mk('ConvBackInput', [g, w], { ...attrs, inShape: c.x }) },
          { name: 'dw', node: B.mk('ConvBackWeight', [g, x], { ...attrs, inShape: c.w }) },
        ]);
      });
      const path = join(dir, `${c.name.replace(/\W+/g, '-')}.onnx`);
      writeFileSync(path, exportGraph(graph, { mode: 'inference', name: 'grads' }));
      check(path);
      const [x, w, g] = [randoms(size(c.x), 3), randoms(size(c.w), 5), randoms(size(gShape), 7)];
      const s = await ort.InferenceSession.create(path);
      const t = (d: number[], shape: number[]) => new ort.Tensor('float32', Float32Array.from(d), shape);
      const r = await s.run({ g: t(g, gShape), w: t(w, c.w), x: t(x, c.x) });
      const want = torchGrads(c, x, w, g, gShape);
      for (const k of ['dx', 'dw'] as const) {
        const got = Array.from(r[k].data as Float32Array);
        expect(got.length, k).toBe(want[k].length);
        got.forEach((v, i) => expect(Math.abs(v - want[k][i]), `${k}[${i}]: ${v} vs ${want[k][i]}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want[k][i]))));
      }
    });
});

interface PoolCase { name: string; op: 'max' | 'avg'; x: number[]; kernel: number[]; stride: number[]; pad: number[]; ceil: boolean; countIncludePad?: boolean }
const POOLS: PoolCase[] = [
  { name: 'max 1-D overlapping, padded', op: 'max', x: [2, 3, 11], kernel: [3], stride: [2], pad: [1], ceil: false },
  { name: 'max 1-D ceil mode', op: 'max', x: [1, 2, 10], kernel: [3], stride: [3], pad: [0], ceil: true },
  { name: 'max 3-D', op: 'max', x: [1, 2, 5, 6, 4], kernel: [2, 3, 2], stride: [2, 2, 1], pad: [1, 1, 0], ceil: false },
  { name: 'avg 1-D padding counted', op: 'avg', x: [2, 3, 9], kernel: [3], stride: [2], pad: [1], ceil: false, countIncludePad: true },
  { name: 'avg 3-D padding not counted, ceil', op: 'avg', x: [1, 2, 5, 4, 6], kernel: [3, 2, 3], stride: [2, 2, 2], pad: [1, 1, 1], ceil: true, countIncludePad: false },
  { name: 'avg 3-D, a row no window reaches', op: 'avg', x: [2, 1, 5, 5, 3], kernel: [2, 2, 2], stride: [2, 2, 2], pad: [0, 0, 0], ceil: false, countIncludePad: true },
];

/** PyTorch's gradient of the pooling of x by autograd, for the output gradient g; also the output's shape. */
function torchPool(c: PoolCase, x: number[], g?: number[]): { shape: number[]; dx: number[] } {
  return JSON.parse(python(`
import json, sys, torch
import torch.nn.functional as F
c, x, g = [json.loads(a) for a in sys.argv[1:4]]
d = len(c['x']) - 2
X = torch.tensor(x, dtype=torch.float64).reshape(c['x']).requires_grad_()
kw = dict(kernel_size=c['kernel'], stride=c['stride'], padding=c['pad'], ceil_mode=c['ceil'])
if c['op'] == 'max': y = {1: F.max_pool1d, 3: F.max_pool3d}[d](X, **kw)
else: y = {1: F.avg_pool1d, 3: F.avg_pool3d}[d](X, count_include_pad=c['countIncludePad'], **kw)
if g is not None: y.backward(torch.tensor(g, dtype=torch.float64).reshape(y.shape))
print(json.dumps({'shape': list(y.shape), 'dx': X.grad.flatten().tolist() if g is not None else []}))
`, [JSON.stringify(c), JSON.stringify(x), JSON.stringify(g ?? null)]));
}

describe.skipIf(!hasTorch)('pooling gradients over 1 and 3 spatial axes as ONNX, against PyTorch', () => {
  for (const c of POOLS)
    it(`${c.name}: onnxruntime on the export equals autograd`, async () => {
      // distinct values (no ties: which of equal maxima takes the gradient is each runtime's choice)
      const x = randoms(size(c.x), 13).map((v, i) => v + i * 1e-3);
      const gShape = torchPool(c, x).shape;
      const g = randoms(size(gShape), 17);
      const attrs = poolAttrs({ kernel: c.kernel, stride: c.stride, pads: [...c.pad, ...c.pad], ceil: c.ceil, countIncludePad: c.countIncludePad }, c.op === 'avg');
      const graph = inLeafScope(() => {
        const gi = B.mk('Input', [], { name: 'g', shape: gShape, dtype: 'f32' }), xi = B.mk('Input', [], { name: 'x', shape: c.x, dtype: 'f32' });
        const node = B.mk(c.op === 'max' ? 'MaxPoolGrad' : 'AvgPoolGrad', [gi, xi], attrs);
        return new Graph([{ name: 'dx', node }]);
      });
      const path = join(dir, `pool-${c.name.replace(/\W+/g, '-')}.onnx`);
      writeFileSync(path, exportGraph(graph, { mode: 'inference', name: 'grads' }));
      check(path);
      const s = await ort.InferenceSession.create(path);
      const t = (d: number[], shape: number[]) => new ort.Tensor('float32', Float32Array.from(d), shape);
      const feeds = Object.fromEntries(s.inputNames.map((k) => [k, k === 'g' ? t(g, gShape) : t(x, c.x)]));
      const got = Array.from((await s.run(feeds)).dx.data as Float32Array);
      const want = torchPool(c, x, g).dx;
      expect(got.length).toBe(want.length);
      got.forEach((v, i) => expect(Math.abs(v - want[i]), `dx[${i}]: ${v} vs ${want[i]}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want[i]))));
    });
});
