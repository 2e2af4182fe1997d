/**
 * nn.LocalResponseNorm as torch.onnx.export (PyTorch 1.13) writes it, imported: not an LRN node but Pad,
 * AveragePool, Pow... with a Slice of int64's extremes (±9223372036854775807, reversing the pads) and an If
 * on a dim computed from shapes, which the importer replaces by its taken branch. Odd and even sizes (where
 * PyTorch's window differs from ONNX's LRN) at opsets 13 and 17, against PyTorch's output and onnxruntime
 * running the same file. Without torch it prints a line and skips.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { importOnnx } from '../../export/index.ts';
import { onnx } from '../../export/proto.ts';
import { hasTorch, python, sayIfMissing } from '../support/peers.ts';
import { randoms, runGraph } from '../support/run.ts';

sayIfMissing('PyTorch (python3-torch)', hasTorch, 'lrn-torch-import.slow.test');

interface Case { x: number[]; size: number; alpha: number; beta: number; k: number; opset: number }
const cases: Case[] = [13, 17].flatMap((opset) => [
  { x: [2, 6, 5, 5], size: 3, alpha: 1e-4, beta: 0.75, k: 1, opset },
  { x: [2, 7, 3, 4], size: 4, alpha: 0.9, beta: 0.6, k: 2, opset },
  { x: [1, 5, 4, 3], size: 5, alpha: 1.2, beta: 1, k: 0.5, opset },
  { x: [3, 6, 2, 2], size: 2, alpha: 0.5, beta: 0.75, k: 1.5, opset },
]);
const count = (s: number[]) => s.reduce((p, d) => p * d, 1);

const TORCH = `
import json, sys, torch
for i, c in enumerate(json.loads(sys.argv[1])):
    x = torch.tensor(c['data'], dtype=torch.float32).reshape(c['x'])
    m = torch.nn.LocalResponseNorm(c['size'], alpha=c['alpha'], beta=c['beta'], k=c['k'])
    torch.onnx.export(m, x, f"{sys.argv[2]}/lrn{i}.onnx", opset_version=c['opset'], input_names=['x'], output_names=['y'])
    print(json.dumps(m(x).flatten().tolist()))
`;

/** float32 results of one formula computed two ways: within 1e-5. */
function near(got: ArrayLike<number>, want: ArrayLike<number>, what: string) {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - want[i]), `${what}[${i}]: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(1e-5);
}

describe.skipIf(!hasTorch)('nn.LocalResponseNorm through torch.onnx.export, imported', () => {
  const dir = mkdtempSync(join(tmpdir(), 'graphc-lrn-import-'));
  const data = cases.map((c, i) => randoms(count(c.x), 31 + i, -2, 2).map(Math.fround));
  const torch = python(TORCH, [JSON.stringify(cases.map((c, i) => ({ ...c, data: data[i] }))), dir]).trim().split('\n').map((l) => JSON.parse(l) as number[]);

  cases.forEach((c, i) => {
    it(`size ${c.size} over x [${c.x}] at opset ${c.opset}: PyTorch's and onnxruntime's values`, async () => {
      const bytes = readFileSync(join(dir, `lrn${i}.onnx`));
      // the file is PyTorch's expansion: an If and a Slice of int64's extremes, no LRN
      const ops = onnx.ModelProto.decode(bytes).graph!.node!.map((n) => n.opType);
      expect(ops).toContain('If');
      expect(ops).toContain('Slice');
      expect(ops).not.toContain('LRN');
      const m = importOnnx(bytes);
      const got = runGraph(m.graph, { x: { data: data[i], shape: c.x } }).y;
      near(got, torch[i], 'PyTorch');
      const s = await ort.InferenceSession.create(bytes);
      const want = (await s.run({ x: new ort.Tensor('float32', Float32Array.from(data[i]), c.x) })).y.data as Float32Array;
      near(got, want, 'onnxruntime');
    });
  });
});
