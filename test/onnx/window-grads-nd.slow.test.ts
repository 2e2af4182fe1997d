/**
 * The ONNX forms of the convolution's gradients over 1 and 3 spatial axes (compiler/ops/window-onnx.ts),
 * run in onnxruntime-node against PyTorch's `torch.nn.grad.conv{1,3}d_input` and `…_weight` on the same
 * tensors: strides with rows left over, padding, dilation and groups.
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
import { randoms } from '../support/run.ts';
import { hasTorch, python, sayIfMissing } from '../support/peers.ts';

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
