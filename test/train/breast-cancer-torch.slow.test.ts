/**
 * graphs/breast-cancer.ts held to PyTorch 1.13 (run at test time): nn.Linear(30, 1) after manual_seed(0),
 * BCEWithLogitsLoss, Adam at the model's lr, full batch on the raw features. graphc's logged costs and
 * trained parameters match within float32 tolerance; in PyTorch the same loss written out by hand
 * (sigmoid, then log) is NaN at every logged epoch of the same run, as graphc's is with fusion off.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import model from '../../graphs/breast-cancer.ts';
import { train } from '../../index.ts';
import { dataFile } from '../support/seed.ts';
import { hasTorch, python, sayIfMissing } from '../support/peers.ts';

sayIfMissing('PyTorch (python3-torch)', hasTorch, 'breast-cancer-torch.slow.test');

const csv = dataFile('breast-cancer.csv');
const { epochs, lr, logEvery } = model.train;

describe.skipIf(!hasTorch)('breast cancer against PyTorch\'s BCEWithLogitsLoss', () => {
  it('same costs and parameters; the written-out loss is not finite in PyTorch', async () => {
    const ref = JSON.parse(python(`
import torch, json, sys, numpy as np
d = np.loadtxt(sys.argv[1], delimiter=',', dtype=np.float32, comments='#')
x, y = torch.tensor(d[:, :30]), torch.tensor(d[:, 30:])
epochs, lr, every = int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
torch.manual_seed(0)
m = torch.nn.Linear(30, 1)
opt = torch.optim.Adam(m.parameters(), lr=lr)
f = torch.nn.BCEWithLogitsLoss()
costs, manual = [], []
for e in range(epochs + 1):
    z = m(x); loss = f(z, y)
    if e % every == 0 or e == epochs:
        with torch.no_grad():
            h = torch.sigmoid(z)
            manual.append(str((-(y * torch.log(h) + (1 - y) * torch.log(1 - h)).mean()).item()))
        costs.append(loss.item())
    opt.zero_grad(); loss.backward(); opt.step()
print(json.dumps({'costs': costs, 'manual': manual, 'weight': m.weight.flatten().tolist(), 'bias': m.bias.tolist()}))
`, [csv, String(epochs), String(lr), String(logEvery)]));
    const t = await train(model, { data: readFileSync(csv, 'utf8') });
    expect(t.log.map((e) => e.epoch)).toEqual(Array.from({ length: ref.costs.length }, (_, i) => i * logEvery));
    t.log.forEach((e, i) => {
      expect(Number.isFinite(e.cost)).toBe(true);
      expect(Math.abs(e.cost - ref.costs[i]), `epoch ${e.epoch}: ${e.cost} vs ${ref.costs[i]}`).toBeLessThanOrEqual(1e-5 * Math.max(1, ref.costs[i]));
    });
    const want = [...ref.weight, ...ref.bias], got = [...t.params['linear.weight'], ...t.params['linear.bias']];
    got.forEach((v, i) => expect(Math.abs(v - want[i]), `parameter ${i}: ${v} vs ${want[i]}`).toBeLessThanOrEqual(2e-5 * Math.max(1, Math.abs(want[i]))));
    // PyTorch's written-out loss on the same logits: NaN (0·log 0) at every logged epoch
    expect(ref.manual.every((s: string) => s === 'nan' || s === 'inf')).toBe(true);
    const unfused = await train(model, { data: readFileSync(csv, 'utf8'), epochs: 0, options: { loss: 'manual' }, fuse: false });
    expect(Number.isFinite(unfused.log[0].cost)).toBe(false);
  });
});
