/**
 * LRN (local response normalization) against outside references: the DSL's `localResponseNorm` against
 * PyTorch's nn.LocalResponseNorm and onnxruntime running the model torch.onnx.export writes for it; graphc's
 * export run in onnxruntime; an ONNX LRN node imported against the spec's formula (numpy, as ONNX's own
 * node-test generator writes it) and onnxruntime where onnxruntime has the op (x [N, C, H, W], an odd size).
 * Even sizes are where the two windows differ (PyTorch's starts one channel earlier): each is checked
 * against its own reference, and the two references are checked to differ there.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { input, localResponseNorm, LocalResponseNorm } from '../../compiler/index.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import { inLeafScope } from '../../compiler/ir/node.ts';
import { exportGraph, importOnnx } from '../../export/index.ts';
import { onnx, DataType } from '../../export/proto.ts';
import { hasOnnx, hasTorch, python } from '../support/peers.ts';
import { randoms, runGraph } from '../support/run.ts';
import { refused } from '../support/refused.ts';

interface Case { x: number[]; size: number; alpha: number; beta: number; k: number }
const cases: Case[] = [
  { x: [2, 5, 3, 4], size: 3, alpha: 1e-4, beta: 0.75, k: 1 },
  { x: [2, 7, 3, 3], size: 5, alpha: 0.8, beta: 0.6, k: 2 },
  { x: [1, 5, 4, 2], size: 2, alpha: 0.5, beta: 0.75, k: 1.5 },
  { x: [2, 9, 2, 3], size: 4, alpha: 1.2, beta: 1, k: 1 },
  { x: [2, 7, 5], size: 6, alpha: 0.9, beta: 0.5, k: 0.7 },
  { x: [1, 3, 4, 2], size: 8, alpha: 0.9, beta: 0.75, k: 1 },
  { x: [1, 6, 2, 2, 3], size: 3, alpha: 0.6, beta: 0.75, k: 1 },
  { x: [3, 1, 4, 4], size: 1, alpha: 0.7, beta: 0.9, k: 1 },
];
const label = (c: Case) => `size ${c.size} over x [${c.x}] (alpha ${c.alpha}, beta ${c.beta}, k ${c.k})`;
const count = (s: number[]) => s.reduce((p, d) => p * d, 1);

const REFS = `
import json, math, sys, torch, numpy as np
def spec(x, size, alpha, beta, bias):  # ONNX's reference (onnx/backend/test/case/node/lrn.py), any rank
    C = x.shape[1]; s = np.zeros(x.shape, dtype=np.float32)
    for c in range(C):
        lo, hi = max(0, c - int(math.floor((size - 1) / 2))), min(C, c + int(math.ceil((size - 1) / 2)) + 1)
        s[:, c] = (x[:, lo:hi] ** 2).sum(1)
    return x / (bias + alpha / size * s) ** beta
for i, c in enumerate(json.loads(sys.argv[1])):
    x = torch.tensor(c['data'], dtype=torch.float32).reshape(c['x'])
    m = torch.nn.LocalResponseNorm(c['size'], alpha=c['alpha'], beta=c['beta'], k=c['k'])
    torch.onnx.export(m, x, f"{sys.argv[2]}/torch{i}.onnx", opset_version=17, input_names=['x'], output_names=['y'])
    print(json.dumps({'torch': m(x).flatten().tolist(), 'spec': spec(x.numpy(), c['size'], c['alpha'], c['beta'], c['k']).flatten().tolist()}))
`;

/** An ONNX model of one LRN node (opset 13) over x of the case's shape. */
function lrnModel(c: Case, attrs = true): Uint8Array {
  const AT = onnx.AttributeProto.AttributeType;
  const vi = (name: string, dims: number[]) => ({ name, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
  const attribute = attrs
    ? [{ name: 'size', type: AT.INT, i: c.size }, { name: 'alpha', type: AT.FLOAT, f: c.alpha }, { name: 'beta', type: AT.FLOAT, f: c.beta }, { name: 'bias', type: AT.FLOAT, f: c.k }]
    : [];
  return onnx.ModelProto.encode({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    graph: { name: 'lrn', node: [{ name: 'n0', opType: 'LRN', input: ['x'], output: ['y'], attribute }], input: [vi('x', c.x)], output: [vi('y', c.x)] },
  }).finish();
}

/** float32 results of one formula computed two ways: within a few roundings. */
function near(got: ArrayLike<number>, want: ArrayLike<number>, what: string) {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - want[i]), `${what}[${i}]: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(1e-6 + 2e-6 * Math.abs(want[i]));
}

async function ortRun(model: Uint8Array | string, x: number[], shape: number[]): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(model as Uint8Array);
  return (await s.run({ x: new ort.Tensor('float32', Float32Array.from(x), shape) })).y.data as Float32Array;
}

describe.skipIf(!hasTorch || !hasOnnx)('LRN: PyTorch, the ONNX spec and onnxruntime', () => {
  const dir = mkdtempSync(join(tmpdir(), 'graphc-lrn-'));
  const data = cases.map((c, i) => randoms(count(c.x), 11 + i, -2, 2).map(Math.fround));
  const refs = python(REFS, [JSON.stringify(cases.map((c, i) => ({ ...c, data: data[i] }))), dir]).trim().split('\n').map((l) => JSON.parse(l) as { torch: number[]; spec: number[] });

  cases.forEach((c, i) => {
    it(`${label(c)}: the DSL's is PyTorch's, in graphc, in onnxruntime from PyTorch's export and from graphc's`, async () => {
      const g = inLeafScope(() => new Graph([{ name: 'y', node: localResponseNorm(input('x', c.x), c.size, { alpha: c.alpha, beta: c.beta, k: c.k }).node }]));
      const ours = runGraph(g, { x: { data: data[i], shape: c.x } }).y;
      near(ours, refs[i].torch, 'PyTorch');
      near(ours, await ortRun(join(dir, `torch${i}.onnx`), data[i], c.x), 'onnxruntime, PyTorch\'s export');
      const exported = exportGraph(g, { mode: 'inference', name: 'lrn' });
      near(ours, await ortRun(exported, data[i], c.x), 'onnxruntime, graphc\'s export');
      // graphc's export read back: the same graph's values
      near(runGraph(importOnnx(exported).graph, { x: { data: data[i], shape: c.x } }).y, ours, 'graphc\'s export imported');
    });

    it(`${label(c)}: ONNX's LRN imported is the spec's${c.x.length === 4 && c.size % 2 ? ' and onnxruntime\'s' : ''}`, async () => {
      const m = importOnnx(lrnModel(c));
      expect(m.graph.nodes.map((n) => n.op)).toEqual(['Input', 'LRN']);
      const got = runGraph(m.graph, { x: { data: data[i], shape: c.x } }).y;
      near(got, refs[i].spec, 'the spec\'s formula');
      if (c.x.length === 4 && c.size % 2) near(got, await ortRun(lrnModel(c), data[i], c.x), 'onnxruntime');
      // an even window narrower than the channels: ONNX's and PyTorch's differ, and each op has its own
      if (c.size % 2 === 0 && c.size < c.x[1]) expect(Math.max(...refs[i].spec.map((v, k) => Math.abs(v - refs[i].torch[k])))).toBeGreaterThan(1e-3);
    });
  });

  it('the layer is the function, with PyTorch\'s defaults (alpha 1e-4, beta 0.75, k 1)', () => {
    const x = inLeafScope(() => input('x', [2, 5, 3, 3]));
    const n = new LocalResponseNorm(3).forward(x).node;
    expect([n.op, n.attrs]).toEqual(['LRN', { size: 3, alpha: 1e-4, beta: 0.75, bias: 1, lead: 1 }]);
    expect(localResponseNorm(x, 4, { alpha: 0.5 }).node.attrs).toEqual({ size: 4, alpha: 0.5, beta: 0.75, bias: 1, lead: 2 });
  });

  it('graphc\'s export with a symbolic batch runs in onnxruntime (the expansion, an even size)', async () => {
    const g = inLeafScope(() => new Graph([{ name: 'y', node: localResponseNorm(input('x', ['N', 9, 2, 3]), 4, { alpha: 1.2, beta: 1 }).node }]));
    near(await ortRun(exportGraph(g, { mode: 'inference', name: 'lrn' }), data[3], cases[3].x), refs[3].torch, 'onnxruntime');
  });

  it('an LRN without its size, or over a matrix, is refused by name', () => {
    refused(lrnModel(cases[0], false), /^node 'n0' \(LRN, opset 13\): attribute 'size' 0 \(a positive integer expected/);
    refused(lrnModel({ ...cases[0], x: [4, 5] }), /^node 'n0' \(LRN, opset 13\): X of shape \[4, 5\]/);
  });
});
