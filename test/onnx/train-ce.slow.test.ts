/**
 * `graphc train model.onnx --loss ce` and `attachLoss(imported, 'ce')`: a classifier exported from PyTorch
 * (scores [N, C], no softmax) trained with cross-entropy against class indices takes the steps
 * torch.nn.CrossEntropyLoss and torch.optim.SGD take from the same initial weights (those in the file):
 * the cost logged at each epoch and the trained weights within float32's rounding. References come from
 * PyTorch 1.13, run at test time.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attachLoss, importOnnx } from '../../export/index.ts';
import { fitModel as fit } from '../../runtime/train.ts';
import { parseCsv } from '../../runtime/data.ts';
import { graphc } from '../support/cli.ts';
import { hasTorch, python, sayIfMissing } from '../support/peers.ts';

sayIfMissing('PyTorch (python3-torch)', hasTorch, 'train-ce.slow.test');
const dir = mkdtempSync(join(tmpdir(), 'graphc-train-ce-'));
const EPOCHS = 20, LR = 0.3;

/**
 * Exports an MLP classifier (4 features, 3 classes), writes 30 rows of data, and trains it in PyTorch
 * full-batch as graphc's epochs 0..n run (the seed's loop: a step at every epoch, the last included).
 */
function reference(): { model: string; csv: string; costs: number[]; params: Record<string, number[]> } {
  const model = join(dir, 'mlp.onnx'), csv = join(dir, 'data.csv');
  const out = python(`
import torch, json, sys
torch.manual_seed(3)
m = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
x = torch.randn(30, 4)
y = (x[:, 0] + 0.5 * x[:, 1] > 0).long() + (x[:, 2] > 0.8).long()
torch.onnx.export(m, (x[:2],), sys.argv[1], input_names=['x'], output_names=['scores'], dynamic_axes={'x': {0: 'N'}, 'scores': {0: 'N'}}, opset_version=17)
with open(sys.argv[2], 'w') as f:
    for r, c in zip(x.tolist(), y.tolist()): f.write(','.join(repr(v) for v in r) + ',' + str(c) + '\\n')
x = torch.tensor([[float(v) for v in l.split(',')[:4]] for l in open(sys.argv[2])])
opt = torch.optim.SGD(m.parameters(), lr=${LR})
loss = torch.nn.CrossEntropyLoss()
costs = []
for epoch in range(${EPOCHS} + 1):
    l = loss(m(x), y)
    costs.append(l.item())
    opt.zero_grad(); l.backward(); opt.step()
print(json.dumps({'costs': costs, 'params': {k: v.flatten().tolist() for k, v in m.state_dict().items()}}))
`, [model, csv]);
  return { model, csv, ...JSON.parse(out) };
}

describe.skipIf(!hasTorch)('training an imported classifier with cross-entropy', () => {
  const ref = hasTorch ? reference() : null!;

  it("attachLoss(imported, 'ce'): PyTorch's costs and weights", () => {
    const built = attachLoss(importOnnx(new Uint8Array(readFileSync(ref.model))), 'ce');
    const r = fit(built, parseCsv(readFileSync(ref.csv, 'utf8')), { epochs: EPOCHS, lr: LR, logEvery: 1, logAccuracy: false });
    expect(r.log).toHaveLength(EPOCHS + 1);
    r.log.forEach((e, i) => expect(Math.abs(e.cost - ref.costs[i]), `epoch ${i}`).toBeLessThanOrEqual(2e-6));
    for (const [name, w] of Object.entries(ref.params)) {
      const mine = r.params.values.get(name);
      expect(mine, name).toBeDefined();
      w.forEach((v, i) => expect(Math.abs(mine![i] - v), `${name}[${i}]`).toBeLessThanOrEqual(2e-6));
    }
  });

  it('graphc train --loss ce logs the same costs, with the accuracy', async () => {
    const r = await graphc(['train', ref.model, '--data', ref.csv, '--loss', 'ce', '--epochs', String(EPOCHS), '--lr', String(LR), '--log-every', '5', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { log: { epoch: number; cost: number }[]; accuracy: number };
    expect(doc.log.map((e) => e.epoch)).toEqual([0, 5, 10, 15, 20]);
    doc.log.forEach((e) => expect(Math.abs(e.cost - ref.costs[e.epoch]), `epoch ${e.epoch}`).toBeLessThanOrEqual(2e-6));
    expect(doc.accuracy).toBeGreaterThan(0);
    expect(doc.accuracy).toBeLessThanOrEqual(1);
  });

  it('refuses ce on an output that is not class scores [N, C], and a class index out of range, in one line', async () => {
    const flat = join(dir, 'flat.onnx');
    python(`
import torch, sys
class M(torch.nn.Module):
    def forward(self, x): return x.sum(1)
torch.onnx.export(M(), (torch.zeros(2, 4),), sys.argv[1], input_names=['x'], output_names=['s'], dynamic_axes={'x': {0: 'N'}}, opset_version=17)
`, [flat]);
    expect(() => attachLoss(importOnnx(new Uint8Array(readFileSync(flat))), 'ce')).toThrow("the ce loss needs an output of class scores [N, C]; output 's' is [N]");
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, '0.1,0.2,0.3,0.4,3\n0.5,0.6,0.7,0.8,0\n');
    const r = await graphc(['train', ref.model, '--data', bad, '--loss', 'ce', '--epochs', '1']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`graphc: ${bad}:1: column 5: class index 3 is out of range (CrossEntropy over 3 classes takes 0 to 2)\n`);
  });

  it('without --loss ce, a classifier\'s scores are refused in one line that names ce, before any training', async () => {
    for (const loss of [[], ['--loss', 'mse']]) {
      const r = await graphc(['train', ref.model, '--data', ref.csv, '--epochs', '1', ...loss]);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`graphc: ${ref.model}: output 'scores' [N, 3] has 3 values a row, and --loss ${loss[1] ?? 'bce'} trains it against --data's one target a row; for class scores and a class index a row, give --loss ce\n`);
    }
  });
});
