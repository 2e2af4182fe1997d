/**
 * ONNX import: models written by torch.onnx.export (PyTorch 1.13 from Debian, run at test time) load
 * into graphc's IR and run in its runtime within 1e-5 of PyTorch; an imported model trains (initializers
 * become parameters, a loss is attached).
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importOnnx, attachLoss } from '../../export/index.ts';
import { compileModel } from '../../compiler/passes/index.ts';
import { fitModel as fit } from '../../runtime/train.ts';
import toy from '../../graphs/toy.ts';
import { parseCsv } from '../../runtime/data.ts';
import { runGraph } from '../support/run.ts';
import { hasTorch, python, sayIfMissing } from '../support/peers.ts';

sayIfMissing('PyTorch (python3-torch)', hasTorch, 'torch-import.slow.test');
const dir = mkdtempSync(join(tmpdir(), 'graphc-import-'));

/** Exports a torch module and returns its outputs on a fixed batch. */
function torchExport(kind: 'logreg' | 'mlp' | 'heads', path: string, opset = 17): { x: number[][]; y: number[][] } {
  const out = python(`
import torch, json, sys
torch.manual_seed(0)
if sys.argv[1] == 'logreg':
    model = torch.nn.Sequential(torch.nn.Linear(8, 1), torch.nn.Sigmoid())
    x = torch.randn(7, 8)
elif sys.argv[1] == 'heads':
    bn = torch.nn.BatchNorm1d(16)
    with torch.no_grad():
        bn.running_mean.uniform_(-1, 1); bn.running_var.uniform_(0.5, 2); bn.weight.uniform_(0.5, 1.5); bn.bias.uniform_(-1, 1)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), bn, torch.nn.LeakyReLU(0.1), torch.nn.Linear(16, 6), torch.nn.GELU(), torch.nn.LayerNorm(6), torch.nn.Dropout(0.5), torch.nn.LogSoftmax(dim=1)).eval()
    x = torch.randn(7, 8)
else:
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4), torch.nn.Tanh(), torch.nn.Linear(4, 3))
    x = torch.randn(7, 8)
torch.onnx.export(model, (x,), sys.argv[2], input_names=['input'], output_names=['output'], dynamic_axes={'input': {0: 'batch'}, 'output': {0: 'batch'}}, opset_version=int(sys.argv[3]))
with torch.no_grad():
    y = model(x)
print(json.dumps({'x': x.tolist(), 'y': y.tolist()}))
`, [kind, path, String(opset)]);
  return JSON.parse(out);
}

describe.skipIf(!hasTorch)('models exported by torch.onnx.export', () => {
  const cases = [['logreg', 17], ['mlp', 17], ['heads', 11], ['heads', 13], ['heads', 17]] as const;
  for (const [kind, opset] of cases)
    it(`${kind} at opset ${opset}: outputs within 1e-5 of PyTorch`, () => {
      const path = join(dir, `${kind}-${opset}.onnx`);
      const ref = torchExport(kind, path, opset);
      const m = importOnnx(new Uint8Array(readFileSync(path)));
      expect(m.inputs.map((n) => n.shape)).toEqual([['batch', 8]]);
      const out = runGraph(m.graph, { input: { data: ref.x.flat(), shape: [ref.x.length, 8] } }, 'f32').output;
      const want = ref.y.flat();
      expect(out.length).toBe(want.length);
      out.forEach((v, i) => expect(Math.abs(v - want[i]), `${i}: ${v} vs ${want[i]}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want[i]))));
    });

  it('an imported logistic regression trains like the DSL model (loss attached, fused)', () => {
    const path = join(dir, 'logreg2.onnx');
    python(`
import torch, sys
m = torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.Sigmoid())
with torch.no_grad():
    m[0].weight.zero_(); m[0].bias.zero_()
torch.onnx.export(m, (torch.zeros(6, 2),), sys.argv[1], input_names=['x'], output_names=['h'], dynamic_axes={'x': {0: 'N'}, 'h': {0: 'N'}}, opset_version=17)
`, [path]);
    const built = attachLoss(importOnnx(new Uint8Array(readFileSync(path))), 'bce');
    const data = parseCsv(readFileSync(fileURLToPath(toy.spec.data as URL), 'utf8'));
    const r = fit(built, data, { epochs: 1000, lr: 1, logEvery: 100, logAccuracy: false });
    // the seed's table 1, at epochs 0 and 1000
    expect(r.log[0].cost).toBeCloseTo(0.693147, 6);
    expect(Math.abs(r.log[10].cost - 0.019852)).toBeLessThanOrEqual(1.5e-6);
    const step = compileModel(built, { lr: 1 }).trainStep;
    expect(step.nodes.map((n) => n.op)).toContain('BCEWithLogitsExp'); // BCEWithLogits, its exp shared with the gradient
  });
});
