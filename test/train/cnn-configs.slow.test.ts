/**
 * Convolutional configurations digits-cnn.slow.test.ts does not hold, against PyTorch 1.13 on the same
 * data: strided convolutions without padding, average pooling with padding, ceil_mode and
 * count_include_pad false, SGD with momentum and weight decay, Nesterov, minibatches whose last batch is
 * partial. No batch normalization and plain SGD keep float32's rounding from being amplified: each
 * epoch's cost agrees with PyTorch's to 2e-6, the final parameters to 1e-5, the held-out count of right rows
 * exactly, and PyTorch's trained parameters exported by graphc give PyTorch's predictions in onnxruntime.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { AvgPool2d, Conv2d, Flatten, Linear, crossEntropy, defineModel, exportOnnx, input, multiclassAccuracy, train, trainedModel } from '../../index.ts';
import { hasTorch, pythonAsync, sayIfMissing } from '../support/peers.ts';
import { dataFile } from '../support/seed.ts';

sayIfMissing('PyTorch (python3-torch)', hasTorch, 'train/cnn-configs.slow.test');
const csv = dataFile('digits.csv');

const torchScript = `
import torch, numpy as np, json, sys
from torch import nn
kind = sys.argv[2]
torch.manual_seed(0)
xy = np.loadtxt(sys.argv[1], delimiter=',', dtype=np.float32)
x = torch.from_numpy(xy[:, :-1]).reshape(-1, 1, 8, 8); y = torch.from_numpy(xy[:, -1]).long()
n = round(len(xy) * 0.8)
if kind == 'strided':
    model = nn.Sequential(nn.Conv2d(1, 8, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(8, 16, 3, stride=2), nn.ReLU(), nn.Flatten(), nn.Linear(16, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4); batch = 50
else:
    model = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
                          nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2, padding=1), nn.Flatten(), nn.Linear(72, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True); batch = 100
dl = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x[:n], y[:n]), batch_size=batch, shuffle=True)
costs = []
for epoch in range(4):
    total, count = 0.0, 0
    for xb, yb in dl:
        cost = nn.functional.cross_entropy(model(xb), yb)
        opt.zero_grad(); cost.backward(); opt.step()
        total += cost.item(); count += 1
    costs.append(total / count)
with torch.no_grad():
    z = model(x[n:])
state = {k: v.flatten().tolist() for k, v in model.state_dict().items()}
print(json.dumps({'costs': costs, 'correct': int((z.argmax(1) == y[n:]).sum()), 'held': len(xy) - n, 'probs': torch.softmax(z, 1).flatten().tolist(), 'state': state}))`;

const common = { epochs: 3, lr: 0.01, logEvery: 1, logAccuracy: false, shuffle: true, holdout: 0.2 } as const;
const models = {
  strided: defineModel({
    name: 'strided',
    train: { ...common, batchSize: 50, optimizer: { kind: 'sgd', momentum: 0.9, weightDecay: 1e-4 } },
    build() {
      const x = input('x', ['N', 1, 8, 8]), y = input('y', ['N']);
      const c0 = new Conv2d(1, 8, 3, { stride: 2, padding: 1 }, '0'), c2 = new Conv2d(8, 16, 3, { stride: 2 }, '2');
      const z = new Linear(16, 10, '5').forward(new Flatten().forward(c2.forward(c0.forward(x).relu()).relu()));
      return { loss: crossEntropy(z, y), predict: z.softmax(1), accuracy: multiclassAccuracy(z, y) };
    },
  }),
  avgpool: defineModel({
    name: 'avgpool',
    train: { ...common, batchSize: 100, optimizer: { kind: 'sgd', momentum: 0.9, nesterov: true } },
    build() {
      const x = input('x', ['N', 1, 8, 8]), y = input('y', ['N']);
      const c0 = new Conv2d(1, 8, 3, {}, '0'), c3 = new Conv2d(8, 8, 3, { padding: 1 }, '3');
      const h = new AvgPool2d(3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }).forward(c0.forward(x).relu());
      const z = new Linear(72, 10, '7').forward(new Flatten().forward(new AvgPool2d(2, { padding: 1 }).forward(c3.forward(h).relu())));
      return { loss: crossEntropy(z, y), predict: z.softmax(1), accuracy: multiclassAccuracy(z, y) };
    },
  }),
};

describe.skipIf(!hasTorch)('convolutional configurations vs PyTorch', () => {
  for (const kind of ['strided', 'avgpool'] as const)
    it(`${kind}: costs, parameters, held-out accuracy, and the export in onnxruntime`, async () => {
      const ref = JSON.parse(await pythonAsync(torchScript, [csv, kind])) as { costs: number[]; correct: number; held: number; probs: number[]; state: Record<string, number[]> };
      const text = readFileSync(csv, 'utf8');
      const t = await train(models[kind], { data: text, source: csv });
      expect(t.log.map((e) => e.epoch)).toEqual([0, 1, 2, 3]);
      t.log.forEach((e, i) => expect(Math.abs(e.cost - ref.costs[i]), `epoch ${i}: ${e.cost} vs ${ref.costs[i]}`).toBeLessThanOrEqual(2e-6));
      expect(Object.keys(t.params).sort()).toEqual(Object.keys(ref.state).sort());
      for (const [name, want] of Object.entries(ref.state)) want.forEach((w, i) => expect(Math.abs(t.params[name][i] - w), `${name}[${i}]`).toBeLessThanOrEqual(1e-5));
      expect(Math.round(t.log.at(-1)!.valAccuracy! * ref.held)).toBe(ref.correct);
      const store = trainedModel(t).params;
      for (const [name, v] of Object.entries(ref.state)) store.values.get(name)!.set(v);
      const rows = text.split('\n').filter((l) => l.trim() && !l.startsWith('#')).map((l) => l.split(',').map(Number));
      const heldX = Float32Array.from(rows.slice(rows.length - ref.held).flatMap((r) => r.slice(0, 64)));
      const session = await ort.InferenceSession.create(await exportOnnx(t));
      const p = (await session.run({ x: new ort.Tensor('float32', heldX, [ref.held, 1, 8, 8]) })).predict.data as Float32Array;
      expect(p.length).toBe(ref.probs.length);
      p.forEach((v, i) => expect(Math.abs(v - ref.probs[i]), `value ${i}`).toBeLessThanOrEqual(1e-5));
    }, 120_000);
});
