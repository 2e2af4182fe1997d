/**
 * interpolate (F.interpolate of x [N, C, H, W], nearest and bilinear, a size or a scale factor, align_corners)
 * against PyTorch 1.13: the values and the gradient of Σ y·w with respect to x. The same graph exported
 * (the gradient as ResizeGrad's per-axis products) and run in onnxruntime-node.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { input, interpolate, type InterpolateOptions } from '../../compiler/index.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import { inLeafScope } from '../../compiler/ir/node.ts';
import * as B from '../../compiler/ir/build.ts';
import { grad } from '../../compiler/autodiff/grad.ts';
import { exportGraph } from '../../export/index.ts';
import { hasTorch, python } from '../support/peers.ts';
import { randoms, runGraph } from '../support/run.ts';

interface Case { x: [number, number, number, number]; o: InterpolateOptions; torch: string }
const cases: Case[] = [
  { x: [2, 3, 3, 4], o: { scaleFactor: 2 }, torch: "scale_factor=2, mode='nearest'" },
  { x: [1, 2, 3, 4], o: { size: [7, 5] }, torch: "size=(7, 5), mode='nearest'" },
  { x: [1, 2, 7, 5], o: { size: [3, 2] }, torch: "size=(3, 2), mode='nearest'" },
  { x: [1, 2, 4, 5], o: { scaleFactor: [1.5, 0.6] }, torch: "scale_factor=(1.5, 0.6), mode='nearest'" },
  { x: [2, 2, 3, 4], o: { scaleFactor: 2, mode: 'bilinear' }, torch: "scale_factor=2, mode='bilinear', align_corners=False" },
  { x: [1, 3, 5, 4], o: { size: [3, 7], mode: 'bilinear' }, torch: "size=(3, 7), mode='bilinear', align_corners=False" },
  { x: [1, 2, 5, 6], o: { scaleFactor: [0.6, 1.7], mode: 'bilinear' }, torch: "scale_factor=(0.6, 1.7), mode='bilinear', align_corners=False" },
  { x: [1, 2, 4, 3], o: { size: [7, 1], mode: 'bilinear', alignCorners: true }, torch: "size=(7, 1), mode='bilinear', align_corners=True" },
  { x: [1, 2, 5, 4], o: { scaleFactor: 1.5, mode: 'bilinear', alignCorners: true }, torch: "scale_factor=1.5, mode='bilinear', align_corners=True" },
];

const TORCH = `
import json, sys, torch
import torch.nn.functional as F
for c in json.loads(sys.argv[1]):
    x = torch.tensor(c['data'], dtype=torch.float64).reshape(c['x']).requires_grad_()
    y = eval('F.interpolate(x, ' + c['torch'] + ')')
    w = torch.tensor(c['w'][:y.numel()], dtype=torch.float64).reshape(y.shape)
    (y * w).sum().backward()
    print(json.dumps([list(y.shape), y.flatten().tolist(), x.grad.flatten().tolist()]))
`;

const close = (got: ArrayLike<number>, want: ArrayLike<number>, what: string) => {
  expect(got.length, what).toBe(want.length);
  Array.from(got).forEach((v, i) => expect(Math.abs(v - want[i]), `${what}[${i}]: ${v} vs ${want[i]}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want[i]))));
};

describe.skipIf(!hasTorch)('interpolate against F.interpolate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'graphc-interp-'));
  const data = cases.map((c, i) => randoms(c.x.reduce((p, d) => p * d, 1), 11 + i, -2, 2).map(Math.fround));
  const w = randoms(400, 5, 0.5, 1.5).map(Math.fround);
  const torch = python(TORCH, [JSON.stringify(cases.map((c, i) => ({ ...c, data: data[i], w })))]).trim().split('\n').map((l) => JSON.parse(l) as [number[], number[], number[]]);
  cases.forEach((c, i) =>
    it(`${JSON.stringify(c.o)} of [${c.x}]`, async () => {
      const g = inLeafScope(() => {
        const x = input('x', c.x);
        const y = interpolate(x, c.o);
        const shape = y.shape as number[];
        const loss = B.sum(B.mul(y.node, B.constant(w.slice(0, shape.reduce((p, d) => p * d, 1)), shape)));
        return new Graph([{ name: 'y', node: y.node }, { name: 'dx', node: grad(loss, [x.node])[0] }]);
      });
      const [shape, y, dx] = torch[i];
      expect(g.outputs[0].node.shape).toEqual(shape);
      const ours = runGraph(g, { x: { data: data[i], shape: c.x } });
      close(ours.y, y, 'y');
      close(ours.dx, dx, 'dx');
      const file = join(dir, `i${i}.onnx`);
      writeFileSync(file, exportGraph(g, { mode: 'inference', name: 'interpolate' }));
      const theirs = await (await ort.InferenceSession.create(file)).run({ x: new ort.Tensor('float32', Float32Array.from(data[i]), c.x) });
      close(theirs.y.data as Float32Array, y, 'exported y');
      close(theirs.dx.data as Float32Array, dx, 'exported dx');
    }),
  );
});
