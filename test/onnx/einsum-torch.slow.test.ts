/**
 * Einsum against references outside graphc: a small attention module written with torch.einsum
 * ('bhqd,bhkd->bhqk', 'bhqk,bhkd->bhqd') and a batched product ('bij,bjk->bik'), exported by
 * torch.onnx.export (PyTorch 1.13, opset 17, a symbolic batch) and run in graphc, onnxruntime-node and
 * PyTorch; and the random equations of the fast test run by numpy.einsum, which parses the equation text
 * itself (the fast test's reference reads the structure the text was written from); an imported Einsum
 * exported again (as the ops it was read as) and run by onnxruntime-node.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { importOnnx } from '../../export/index.ts';
import { exportGraph } from '../../export/export.ts';
import { runGraph } from '../support/run.ts';
import { hasTorch, python, sayIfMissing } from '../support/peers.ts';
import { einsumModel, inputsOf, randomCase, reference } from '../support/einsum.ts';

sayIfMissing('PyTorch (python3-torch)', hasTorch, 'einsum-torch.slow.test');
const dir = mkdtempSync(join(tmpdir(), 'graphc-einsum-'));

const EXPORT = `
import torch, json, sys
torch.manual_seed(0)
class M(torch.nn.Module):
    def forward(self, q, k, v, x, w):
        s = torch.einsum('bhqd,bhkd->bhqk', q, k) / 2.0
        a = torch.einsum('bhqk,bhkd->bhqd', s.softmax(-1), v)
        return a, torch.einsum('bij,bjk->bik', x, w)
args = (torch.randn(3, 2, 4, 4), torch.randn(3, 2, 5, 4), torch.randn(3, 2, 5, 4), torch.randn(3, 4, 6), torch.randn(3, 6, 2))
names = ['q', 'k', 'v', 'x', 'w']
dyn = {n: {0: 'batch'} for n in names + ['a', 'y']}
torch.onnx.export(M(), args, sys.argv[1], input_names=names, output_names=['a', 'y'], dynamic_axes=dyn, opset_version=17)
with torch.no_grad():
    a, y = M()(*args)
print(json.dumps({'ins': [t.flatten().tolist() for t in args], 'shapes': [list(t.shape) for t in args], 'a': a.flatten().tolist(), 'y': y.flatten().tolist()}))
`;

const NUMPY = `
import json, sys
import numpy as np
cases = json.load(open(sys.argv[1]))
print(json.dumps([np.einsum(c['eq'], *[np.array(x, dtype=np.float64).reshape(s) for x, s in zip(c['xs'], c['shapes'])]).flatten().tolist() for c in cases]))
`;

const within = (got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string) => {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i]), `${what}[${i}]: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want[i])));
};

describe.skipIf(!hasTorch)('Einsum against PyTorch, onnxruntime and numpy', () => {
  it('an attention module and a batched product exported by torch.onnx.export: graphc, onnxruntime and PyTorch agree within 1e-5', async () => {
    const path = join(dir, 'attention.onnx');
    const ref = JSON.parse(python(EXPORT, [path])) as { ins: number[][]; shapes: number[][]; a: number[]; y: number[] };
    const bytes = new Uint8Array(readFileSync(path));
    const m = importOnnx(bytes);
    expect(m.inputs.map((n) => n.shape[0])).toEqual(['batch', 'batch', 'batch', 'batch', 'batch']);
    const names = ['q', 'k', 'v', 'x', 'w'];
    const feeds = Object.fromEntries(names.map((n, i) => [n, { data: ref.ins[i], shape: ref.shapes[i] }]));
    const ours = runGraph(m.graph, feeds);
    within(ours.a, ref.a, 1e-5, 'graphc a vs PyTorch');
    within(ours.y, ref.y, 1e-5, 'graphc y vs PyTorch');
    const s = await ort.InferenceSession.create(path);
    const theirs = await s.run(Object.fromEntries(names.map((n, i) => [n, new ort.Tensor('float32', Float32Array.from(ref.ins[i]), ref.shapes[i])])));
    within(ours.a, theirs.a.data as Float32Array, 1e-5, 'graphc a vs onnxruntime');
    within(ours.y, theirs.y.data as Float32Array, 1e-5, 'graphc y vs onnxruntime');
    // the file holds Einsum (torch writes it from opset 12), read as products
    const ops = m.graph.nodes.map((n) => n.op);
    expect(new TextDecoder('latin1').decode(bytes)).toContain('Einsum');
    expect(ops).toContain('BatchMatMul');
  });

  it('400 random equations: graphc within float32 rounding of numpy.einsum (float64), which reads the equation text', () => {
    const cases = Array.from({ length: 400 }, (_, k) => {
      const c = randomCase(k + 1);
      return { ...c, xs: inputsOf(c, k + 1) };
    });
    const file = join(dir, 'cases.json');
    writeFileSync(file, JSON.stringify(cases.map(({ eq, shapes, xs }) => ({ eq, shapes, xs }))));
    const want = JSON.parse(python(NUMPY, [file])) as (number[] | number)[];
    cases.forEach((c, k) => {
      const m = importOnnx(einsumModel(c.eq, c.shapes));
      const y = runGraph(m.graph, Object.fromEntries(c.xs.map((x, j) => [`x${j}`, { data: x, shape: c.shapes[j] }]))).y;
      const w = ([] as number[]).concat(want[k]);
      // float32 rounding grows with the sum of the products' magnitudes, which the definition gives
      const { abs } = reference(c, c.xs);
      expect(y.length, c.eq).toBe(w.length);
      w.forEach((v, i) => expect(Math.abs(y[i] - v), `'${c.eq}' ${JSON.stringify(c.shapes)} [${i}]: ${y[i]} vs ${v}`).toBeLessThanOrEqual(2e-6 * abs[i] + 1e-6));
    });
  });

  it('an imported Einsum exports as the ops it was read as: onnxruntime runs them to graphc\'s values', async () => {
    for (let seed = 1; seed <= 60; seed++) {
      const c = randomCase(seed);
      const xs = inputsOf(c, seed);
      const m = importOnnx(einsumModel(c.eq, c.shapes));
      const file = join(dir, `again-${seed}.onnx`);
      writeFileSync(file, exportGraph(m.graph, { mode: 'inference', name: 'einsum' }));
      const ours = runGraph(m.graph, Object.fromEntries(xs.map((x, k) => [`x${k}`, { data: x, shape: c.shapes[k] }]))).y;
      const s = await ort.InferenceSession.create(file);
      const theirs = await s.run(Object.fromEntries(xs.map((x, k) => [`x${k}`, new ort.Tensor('float32', Float32Array.from(x), c.shapes[k])])));
      within(ours, theirs.y.data as Float32Array, 1e-5, `'${c.eq}' ${JSON.stringify(c.shapes)}`);
    }
  });
});
