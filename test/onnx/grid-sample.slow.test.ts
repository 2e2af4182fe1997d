/**
 * The DSL's gridSample (ONNX's GridSample) against PyTorch 1.13's F.grid_sample and onnxruntime: every
 * mode (bilinear, nearest, bicubic), padding (zeros, border, reflection) and align_corners, on grids reaching
 * past the edges and with points whose nearest pixel is a tie (rounded half to even); the gradients for x
 * and the grid against PyTorch's autograd; graphc's export run in onnxruntime and read back; opset 20's
 * names read; other names and ranks refused by name.
 */
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { gridSample, input } from '../../compiler/index.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import { inLeafScope } from '../../compiler/ir/node.ts';
import { grad } from '../../compiler/autodiff/grad.ts';
import * as B from '../../compiler/ir/build.ts';
import { exportGraph, importOnnx } from '../../export/index.ts';
import { onnx, DataType } from '../../export/proto.ts';
import { hasTorch, python } from '../support/peers.ts';
import { randoms, runGraph } from '../support/run.ts';
import { refused } from '../support/refused.ts';

const X = [2, 3, 5, 4], G = [2, 3, 6, 2];
const count = (s: number[]) => s.reduce((p, d) => p * d, 1);
const forms = ['bilinear', 'nearest', 'bicubic'].flatMap((mode) => ['zeros', 'border', 'reflection'].flatMap((padding) => [false, true].map((align) => ({ mode, padding, align }))));

const x = randoms(count(X), 5, -2, 2).map(Math.fround);
// points past the edges (±1.4), and ties: gx −0.5, 0, 0.5 (W = 4, align_corners 0) and gy 0.25, −0.75 (H = 5, align_corners 1)
const grid = randoms(count(G), 6, -1.4, 1.4).map(Math.fround);
[[-0.5, 0.25], [0, -0.75], [0.5, 0.25], [0, 0], [1, -1], [-1, 1]].forEach(([gx, gy], k) => { grid[2 * k] = gx; grid[2 * k + 1] = gy; });

const TORCH = `
import json, sys, torch
x = torch.tensor(json.loads(sys.argv[1]), dtype=torch.float32).reshape(${JSON.stringify(X)})
g = torch.tensor(json.loads(sys.argv[2]), dtype=torch.float32).reshape(${JSON.stringify(G)})
w = torch.tensor(json.loads(sys.argv[4]), dtype=torch.float32).reshape(${JSON.stringify([G[0], X[1], G[1], G[2]])})
for f in json.loads(sys.argv[3]):
    xs, gs = x.clone().requires_grad_(), g.clone().requires_grad_()
    y = torch.nn.functional.grid_sample(xs, gs, mode=f['mode'], padding_mode=f['padding'], align_corners=f['align'])
    (y * w).sum().backward()
    print(json.dumps({'y': y.flatten().tolist(), 'dx': xs.grad.flatten().tolist(), 'dgrid': gs.grad.flatten().tolist()}))
`;

type Form = { mode: string; padding: string; align: boolean };
/** The DSL's gridSample, under PyTorch's option names. */
const build = (f: Form) =>
  inLeafScope(() => new Graph([{ name: 'y', node: gridSample(input('x', X), input('grid', G), { mode: f.mode as 'bilinear', paddingMode: f.padding as 'zeros', alignCorners: f.align }).node }]));
const W = randoms(G[0] * X[1] * G[1] * G[2], 7, 0.5, 1.5).map(Math.fround);
/** The gradients of sum(y·W) for x and the grid, as a graph (GridSampleGrad's kernels). */
const gradients = (f: { mode: string; padding: string; align: boolean }) =>
  inLeafScope(() => {
    const xi = B.mk('Input', [], { name: 'x', shape: X, dtype: 'f32' }), gi = B.mk('Input', [], { name: 'grid', shape: G, dtype: 'f32' });
    const y = B.mk('GridSample', [xi, gi], f);
    const [dx, dgrid] = grad(B.sum(B.mul(y, B.constant(W, y.shape as number[]))), [xi, gi]);
    return new Graph([{ name: 'dx', node: dx }, { name: 'dgrid', node: dgrid }]);
  });
const feeds = { x: { data: x, shape: X }, grid: { data: grid, shape: G } };

/**
 * float32 results of one formula computed two ways; `cubic`: bicubic's sum of 16 products of pixels up to 2
 * with weights up to 1.3 rounds to within a few float32 roundings of those terms, not of the sum.
 */
function near(got: ArrayLike<number>, want: ArrayLike<number>, what: string, cubic = false) {
  expect(got.length, what).toBe(want.length);
  const abs = cubic ? 1e-5 : 1e-6;
  for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - want[i]), `${what}[${i}]: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(abs + 1e-5 * Math.abs(want[i]));
}

/** Sums of float32 products in another order: within a few roundings of the largest terms. */
function nearGrad(got: ArrayLike<number>, want: ArrayLike<number>, what: string) {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - want[i]), `${what}[${i}]: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(want[i])));
}

async function ortRun(model: Uint8Array, xs = x, shape = X): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(model);
  return (await s.run({ x: new ort.Tensor('float32', Float32Array.from(xs), shape), grid: new ort.Tensor('float32', Float32Array.from(grid), G) })).y.data as Float32Array;
}

/** One GridSample node at `opset` with the given attributes. */
function model(opset: number, attrs: Record<string, string | number>, xShape = X): Uint8Array {
  const AT = onnx.AttributeProto.AttributeType;
  const vi = (name: string, dims: number[]) => ({ name, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
  const attribute = Object.entries(attrs).map(([name, v]) => (typeof v === 'number' ? { name, type: AT.INT, i: v } : { name, type: AT.STRING, s: new TextEncoder().encode(v) }));
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: { name: 'gs', node: [{ name: 'n0', opType: 'GridSample', input: ['x', 'grid'], output: ['y'], attribute }], input: [vi('x', xShape), vi('grid', G)], output: [vi('y', [G[0], xShape[1], G[1], G[2]])] },
  }).finish();
}

describe('GridSample', () => {
  const torch = hasTorch ? python(TORCH, [JSON.stringify(x), JSON.stringify(grid), JSON.stringify(forms), JSON.stringify(W)]).trim().split('\n').map((l) => JSON.parse(l) as { y: number[]; dx: number[]; dgrid: number[] }) : [];
  forms.forEach((f, i) =>
    it(`${f.mode}, padding ${f.padding}, align_corners ${f.align}: PyTorch's, onnxruntime's of graphc's export, read back`, async () => {
      const g = build(f), ours = runGraph(g, feeds).y;
      const cubic = f.mode === 'bicubic';
      if (hasTorch) near(ours, torch[i].y, 'PyTorch', cubic);
      const bytes = exportGraph(g, { mode: 'inference', name: 'gs' });
      near(ours, await ortRun(bytes), 'onnxruntime', cubic);
      expect(Array.from(runGraph(importOnnx(bytes).graph, feeds).y)).toEqual(Array.from(ours));
    }));
  forms.forEach((f, i) =>
    it.skipIf(!hasTorch)(`${f.mode}, padding ${f.padding}, align_corners ${f.align}: the gradients for x and the grid are PyTorch's`, () => {
      const { dx, dgrid } = runGraph(gradients(f), feeds);
      nearGrad(dx, torch[i].dx, 'dx');
      nearGrad(dgrid, torch[i].dgrid, 'dgrid');
      // the gradients are not all zero (the test would pass for an op passing none)
      expect(dx.some((v) => Math.abs(v) > 0.1)).toBe(true);
      if (f.mode !== 'nearest') expect(dgrid.some((v) => Math.abs(v) > 0.1)).toBe(true);
    }));

  for (const [mode, named] of [['bilinear', 'linear'], ['bicubic', 'cubic']])
    it(`opset 20 names ${mode} ${named}; its values are opset 16's and onnxruntime's`, async () => {
      const g = build({ mode, padding: 'border', align: true });
      const m = importOnnx(model(20, { mode: named, padding_mode: 'border', align_corners: 1 }));
      const got = runGraph(m.graph, feeds).y;
      expect(Array.from(got)).toEqual(Array.from(runGraph(g, feeds).y));
      near(got, await ortRun(model(20, { mode: named, padding_mode: 'border', align_corners: 1 })), 'onnxruntime', mode === 'bicubic');
    });

  it('a mode the opset does not name, or x of rank 5, is refused by name', () => {
    refused(model(16, { mode: 'cubic' }), /^node 'n0' \(GridSample, opset 16\): attribute 'mode' 'cubic' is not supported \(opset 16 has bilinear, nearest and bicubic\)/);
    refused(model(20, { mode: 'bilinear' }), /^node 'n0' \(GridSample, opset 20\): attribute 'mode' 'bilinear' is not supported \(opset 20 has linear, nearest and cubic\)/);
    refused(model(16, { padding_mode: 'wrap' }), /^node 'n0' \(GridSample, opset 16\): attribute 'padding_mode' 'wrap'/);
    refused(model(20, {}, [2, 3, 2, 5, 4]), /^node 'n0' \(GridSample, opset 20\): X of shape \[2, 3, 2, 5, 4\]/);
  });
});
