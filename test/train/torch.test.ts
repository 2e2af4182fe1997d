/**
 * Beyond the seed, against PyTorch 1.13 running the same configuration (same initial values, same order
 * of batches): the zoo softmax regression and the XOR MLP cost tables, the optimizers over several
 * steps, and minibatch training in DataLoader(shuffle=True)'s order. Within 1e-5.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import zoo from '../../graphs/zoo-softmax.ts';
import xor from '../../graphs/xor-mlp.ts';
import { defineModel, input, Linear, crossEntropy, binaryCrossEntropy } from '../../compiler/index.ts';
import { fitModel as fit } from '../../runtime/train.ts';
import { parseCsv, inlineData } from '../../runtime/data.ts';
import type { OptimizerSpec } from '../../compiler/dsl/model.ts';
import { hasTorch, python, sayIfMissing } from '../support/peers.ts';
import { dataFile, diabetesCsv } from '../support/seed.ts';
import { randoms } from '../support/run.ts';
import { torchMinibatchCosts } from '../support/torch-minibatches.ts';

sayIfMissing('PyTorch (python3-torch)', hasTorch, 'train/torch.test');
const zooCsv = dataFile('data-04-zoo.csv');
const near = (a: number[], b: number[], tol = 1e-5) => {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(Math.abs(v - b[i]), `entry ${i}: ${v} vs ${b[i]}`).toBeLessThanOrEqual(tol));
};

describe.skipIf(!hasTorch)('zoo softmax regression vs PyTorch', () => {
  it('cost table, 1000 epochs of SGD lr 0.1', () => {
    const ref = JSON.parse(python(`
import torch, numpy as np, json, sys
import torch.nn.functional as F
xy = np.loadtxt(sys.argv[1], delimiter=',', dtype=np.float32)
x = torch.FloatTensor(xy[:, 0:-1]); y = torch.LongTensor(xy[:, -1])
W = torch.zeros((16, 7), requires_grad=True); b = torch.zeros(7, requires_grad=True)
opt = torch.optim.SGD([W, b], lr=0.1)
costs = []
for epoch in range(1001):
    cost = F.cross_entropy(x.matmul(W) + b, y)
    opt.zero_grad(); cost.backward(); opt.step()
    if epoch % 100 == 0: costs.append(cost.item())
print(json.dumps(costs))`, [zooCsv])) as number[];
    const r = fit(zoo.build(), parseCsv(readFileSync(zooCsv, 'utf8')), zoo.train);
    near(r.log.map((e) => e.cost), ref);
  });
});

describe.skipIf(!hasTorch)('XOR MLP vs PyTorch', () => {
  it('Linear(2,2)+Sigmoid+Linear(2,1)+Sigmoid after manual_seed(777): cost table', () => {
    const ref = JSON.parse(python(`
import torch, json
torch.manual_seed(777)
X = torch.FloatTensor([[0, 0], [0, 1], [1, 0], [1, 1]]); Y = torch.FloatTensor([[0], [1], [1], [0]])
model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Sigmoid(), torch.nn.Linear(2, 1), torch.nn.Sigmoid())
opt = torch.optim.SGD(model.parameters(), lr=1)
costs = []
for step in range(10001):
    cost = torch.nn.functional.binary_cross_entropy(model(X), Y)
    opt.zero_grad(); cost.backward(); opt.step()
    if step % 1000 == 0: costs.append(cost.item())
print(json.dumps(costs))`)) as number[];
    const d = inlineData([[0, 0], [0, 1], [1, 0], [1, 1]], [[0], [1], [1], [0]]);
    near(fit(xor.build(), d, xor.train).log.map((e) => e.cost), ref);
  });
});

/** A small classifier: Linear(5, 3) after manual_seed(3), cross-entropy, trained with `optimizer`. */
const small = defineModel({
  name: 'small',
  seed: 3,
  build() {
    const lin = new Linear(5, 3);
    const x = input('x', ['N', 5]);
    const y = input('y', ['N']);
    const z = lin.forward(x);
    return { loss: crossEntropy(z, y), predict: z };
  },
});

const optimizers: [string, OptimizerSpec, number, string][] = [
  ['SGD momentum 0.9', { kind: 'sgd', momentum: 0.9 }, 0.1, 'torch.optim.SGD(ps, lr=0.1, momentum=0.9)'],
  ['SGD Nesterov + weight decay', { kind: 'sgd', momentum: 0.8, nesterov: true, weightDecay: 0.01 }, 0.1, 'torch.optim.SGD(ps, lr=0.1, momentum=0.8, nesterov=True, weight_decay=0.01)'],
  ['SGD momentum + dampening', { kind: 'sgd', momentum: 0.9, dampening: 0.3 }, 0.05, 'torch.optim.SGD(ps, lr=0.05, momentum=0.9, dampening=0.3)'],
  ['Adam', { kind: 'adam' }, 0.01, 'torch.optim.Adam(ps, lr=0.01)'],
  ['Adam + weight decay, betas', { kind: 'adam', betas: [0.8, 0.99], weightDecay: 0.05, eps: 1e-6 }, 0.02, 'torch.optim.Adam(ps, lr=0.02, betas=(0.8, 0.99), weight_decay=0.05, eps=1e-6)'],
  ['AdamW', { kind: 'adamw', weightDecay: 0.1 }, 0.01, 'torch.optim.AdamW(ps, lr=0.01, weight_decay=0.1)'],
];

describe.skipIf(!hasTorch)('optimizers vs PyTorch (8 steps)', () => {
  const rows = 12;
  const x = randoms(rows * 5, 11);
  const y = randoms(rows, 12, 0, 3).map(Math.floor);
  for (const [label, spec, lr, torchOpt] of optimizers)
    it(label, () => {
      const ref = JSON.parse(python(`
import torch, json, sys
torch.manual_seed(3)
lin = torch.nn.Linear(5, 3)
x = torch.tensor(json.loads(sys.argv[1]), dtype=torch.float32).reshape(-1, 5)
y = torch.tensor(json.loads(sys.argv[2]), dtype=torch.long)
ps = list(lin.parameters())
opt = ${torchOpt}
costs = []
for step in range(8):
    cost = torch.nn.functional.cross_entropy(lin(x), y)
    opt.zero_grad(); cost.backward(); opt.step()
    costs.append(cost.item())
print(json.dumps({'costs': costs, 'weight': lin.weight.flatten().tolist(), 'bias': lin.bias.tolist()}))`, [JSON.stringify(x), JSON.stringify(y)])) as { costs: number[]; weight: number[]; bias: number[] };
      const data = { x: Float32Array.from(x), y: Float32Array.from(y), rows, features: 5 };
      const r = fit(small.build(), data, { epochs: 7, lr, logEvery: 1, logAccuracy: false, optimizer: spec });
      near(r.log.map((e) => e.cost), ref.costs);
      near(Array.from(r.params.get('linear.weight')), ref.weight);
      near(Array.from(r.params.get('linear.bias')), ref.bias);
    });
});

describe.skipIf(!hasTorch)('minibatches in DataLoader(shuffle=True) order vs PyTorch', () => {
  it('Linear(8, 1) + sigmoid, batches of 64, 3 epochs: mean batch cost per epoch', () => {
    const ref = torchMinibatchCosts(true);
    const m = defineModel({
      name: 'batched',
      seed: 5,
      build() {
        const lin = new Linear(8, 1);
        const x = input('x', ['N', 8]);
        const y = input('y', ['N', 1]);
        const h = lin.forward(x).sigmoid();
        return { loss: binaryCrossEntropy(h, y), predict: h };
      },
    });
    const r = fit(m.build(), parseCsv(readFileSync(diabetesCsv, 'utf8')), { epochs: 2, lr: 0.5, logEvery: 1, logAccuracy: false, batchSize: 64, shuffle: true });
    near(r.log.map((e) => e.cost), ref);
  });
});

describe.skipIf(!hasTorch)('the W4 MLP vs PyTorch (same initial values, same batches)', () => {
  it('784 -> 256 ReLU -> 10, cross-entropy, batches of 128, 2 epochs over 1,024 rows', async () => {
    const { default: mlp, syntheticData } = await import('../../graphs/mlp-w4.ts');
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const data = syntheticData(1024, 7);
    const built = mlp.build();
    const init = Object.fromEntries(built.forward.params.map((p) => [String(p.attrs.name), p.attrs.init as Float32Array]));
    const dir = mkdtempSync(join(tmpdir(), 'graphc-w4-'));
    const files: Record<string, Float32Array> = { x: data.x, y: data.y, ...init };
    for (const [k, v] of Object.entries(files)) writeFileSync(join(dir, `${k}.f32`), new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    const ref = JSON.parse(python(`
import torch, numpy as np, json, sys
d = sys.argv[1]
f = lambda k, *s: torch.from_numpy(np.fromfile(f'{d}/{k}.f32', dtype=np.float32).reshape(*s))
x, y = f('x', 1024, 784), f('y', 1024).long()
W1, b1, W2, b2 = [f(k, *s).clone().requires_grad_() for k, s in [('W1', (784, 256)), ('b1', (256,)), ('W2', (256, 10)), ('b2', (10,))]]
opt = torch.optim.SGD([W1, b1, W2, b2], lr=0.05)
costs = []
for epoch in range(2):
    total = 0.0
    for i in range(0, 1024, 128):
        cost = torch.nn.functional.cross_entropy(torch.relu(x[i:i+128] @ W1 + b1) @ W2 + b2, y[i:i+128])
        opt.zero_grad(); cost.backward(); opt.step()
        total += cost.item()
    costs.append(total / 8)
print(json.dumps(costs))`, [dir])) as number[];
    const r = fit(built, data, { ...mlp.train, epochs: 1 });
    near(r.log.map((e) => e.cost), ref);
  });
});

describe.skipIf(!hasTorch)('a learning-rate schedule vs PyTorch', () => {
  it('diabetes, SGD with momentum under LambdaLR(0.95 ** epoch), 201 epochs: cost table', async () => {
    const { default: diabetes } = await import('../../graphs/diabetes.ts');
    const { trainModel } = await import('../../runtime/train.ts');
    const ref = JSON.parse(python(`
import torch, numpy as np, json, sys
xy = np.loadtxt(sys.argv[1], delimiter=',', dtype=np.float32)
x = torch.from_numpy(xy[:, :-1]); y = torch.from_numpy(xy[:, -1:])
W = torch.zeros((8, 1), requires_grad=True); b = torch.zeros(1, requires_grad=True)
opt = torch.optim.SGD([W, b], lr=0.5, momentum=0.9)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda e: 0.95 ** e)
costs = []
for epoch in range(201):
    cost = torch.nn.functional.binary_cross_entropy(torch.sigmoid(x.matmul(W) + b), y)
    opt.zero_grad(); cost.backward(); opt.step(); sched.step()
    if epoch % 20 == 0: costs.append(cost.item())
print(json.dumps(costs))`, [diabetesCsv])) as number[];
    // the schedule gives the rate itself: PyTorch's lr 0.5 times its lambda
    const r = await trainModel(diabetes, { data: readFileSync(diabetesCsv, 'utf8'), options: { loss: 'bce' }, epochs: 200, logEvery: 20, optimizer: { momentum: 0.9 }, lr: (epoch) => 0.5 * 0.95 ** epoch });
    near(r.log.map((e) => e.cost), ref);
    expect(r.config.lr).toBe(0.5);
  });
});
