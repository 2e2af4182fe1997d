/**
 * graphs/digits-cnn.ts against PyTorch 1.13 running the same network on the same data: the same layers
 * (BatchNorm2d in training mode, then model.eval() for the held-out rows) after manual_seed(0) (graphc initializes as PyTorch does), Adam, minibatches of 64 in
 * DataLoader(shuffle=True)'s order, the last 20% of data/digits.csv held out. The cost of every epoch
 * agrees to the printed digits that float32 allows (the kernels sum in other orders: within 2e-6, where
 * the printed cost has six decimals; float32 PyTorch and float64 PyTorch differ by as much), the
 * held-out accuracy of every epoch is the same count of rows give or take one (a row whose two best
 * scores are closer than those sums' rounding can go either way), and the exported inference graph gives
 * PyTorch's predictions in onnxruntime-node and in OpenCV's dnn module.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { train, exportOnnx, type Trained } from '../../index.ts';
import cnn from '../../graphs/digits-cnn.ts';
import { hasOpenCv, hasTorch, pythonAsync, sayIfMissing } from '../support/peers.ts';
import { dataFile } from '../support/seed.ts';

sayIfMissing('PyTorch (python3-torch)', hasTorch, 'train/digits-cnn.slow.test');
sayIfMissing('OpenCV (python3-opencv)', hasOpenCv, 'train/digits-cnn.slow.test');
const csv = dataFile('digits.csv');

/** The network in torch.nn, trained as the model says; its log and its predictions on the held-out rows. */
const torchScript = `
import torch, numpy as np, json, sys
from torch import nn
cfg = json.loads(sys.argv[2])
torch.manual_seed(cfg['seed'])
xy = np.loadtxt(sys.argv[1], delimiter=',', dtype=np.float32)
x = torch.from_numpy(xy[:, :-1]).reshape(-1, 1, 8, 8); y = torch.from_numpy(xy[:, -1]).long()
n = round(len(xy) * (1 - cfg['holdout']))
model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1),
                      nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 10))
opt = torch.optim.Adam(model.parameters(), lr=cfg['lr'])
dl = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x[:n], y[:n]), batch_size=cfg['batch'], shuffle=True)
costs, accs = [], []
for epoch in range(cfg['epochs'] + 1):
    model.train(); total, count = 0.0, 0
    for xb, yb in dl:
        cost = nn.functional.cross_entropy(model(xb), yb)
        opt.zero_grad(); cost.backward(); opt.step()
        total += cost.item(); count += 1
    costs.append(total / count)
    model.eval()
    with torch.no_grad():
        accs.append(int((model(x[n:]).argmax(1) == y[n:]).sum()))
with torch.no_grad():
    p = torch.softmax(model(x[n:]), 1)
print(json.dumps({'costs': costs, 'correct': accs, 'held': len(xy) - n, 'probs': p.flatten().tolist()}))`;

const opencvScript = `
import cv2, numpy as np, json, sys
net = cv2.dnn.readNetFromONNX(sys.argv[1])
x = np.loadtxt(sys.argv[2], delimiter=',', dtype=np.float32)[int(sys.argv[3]):, :-1].reshape(-1, 1, 8, 8)
net.setInput(x)
print(json.dumps(net.forward().flatten().tolist()))`;

interface Ref { costs: number[]; correct: number[]; held: number; probs: number[] }
const argmax = (p: ArrayLike<number>, rows: number) => Array.from({ length: rows }, (_, r) => {
  let best = 0;
  for (let c = 1; c < 10; c++) if (p[r * 10 + c] > p[r * 10 + best]) best = c;
  return best;
});

describe.skipIf(!hasTorch)('digits CNN vs PyTorch', () => {
  let ref: Ref, trained: Trained, onnx: Uint8Array, heldX: Float32Array, start: number;
  beforeAll(async () => {
    const t = cnn.train;
    ref = JSON.parse(await pythonAsync(torchScript, [csv, JSON.stringify({ seed: 0, lr: t.lr, holdout: t.holdout, batch: t.batchSize, epochs: t.epochs })])) as Ref;
    const text = readFileSync(csv, 'utf8');
    trained = await train(cnn, { data: text, source: csv });
    onnx = await exportOnnx(trained);
    const rows = text.split('\n').filter((l) => l.trim() && !l.startsWith('#')).map((l) => l.split(',').map(Number));
    start = rows.length - ref.held;
    heldX = Float32Array.from(rows.slice(start).flatMap((r) => r.slice(0, 64)));
  }, 300_000);

  it('the cost of every epoch, to the printed digits float32 allows', () => {
    expect(trained.log.map((e) => e.epoch)).toEqual(ref.costs.map((_, i) => i));
    trained.log.forEach((e, i) => expect(Math.abs(e.cost - ref.costs[i]), `epoch ${i}: ${e.cost} vs ${ref.costs[i]}`).toBeLessThanOrEqual(2e-6));
    expect(ref.costs.at(-1)).toBeLessThan(0.05); // it learned
  });

  it('the held-out accuracy of every epoch: the same count of rows, give or take one', () => {
    const ours = trained.log.map((e) => Math.round(e.valAccuracy! * ref.held));
    expect(ours).toHaveLength(ref.correct.length);
    ours.forEach((n, i) => expect(Math.abs(n - ref.correct[i]), `epoch ${i}: ${n} rows against PyTorch's ${ref.correct[i]}`).toBeLessThanOrEqual(1));
    expect(ref.correct.at(-1)! / ref.held).toBeGreaterThan(0.85);
  });

  it('the exported inference graph in onnxruntime-node: PyTorch\'s predictions', async () => {
    const session = await ort.InferenceSession.create(onnx);
    const out = await session.run({ x: new ort.Tensor('float32', heldX, [ref.held, 1, 8, 8]) });
    const p = out.predict.data as Float32Array;
    expect(out.predict.dims).toEqual([ref.held, 10]);
    p.forEach((v, i) => expect(Math.abs(v - ref.probs[i]), `value ${i}`).toBeLessThanOrEqual(1e-3));
    expect(argmax(p, ref.held)).toEqual(argmax(ref.probs, ref.held));
  });

  it.skipIf(!hasOpenCv)('the exported inference graph in OpenCV (cv2.dnn.readNetFromONNX): PyTorch\'s predictions', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'graphc-cnn-')), 'digits-cnn.onnx');
    writeFileSync(file, onnx);
    const p = JSON.parse(await pythonAsync(opencvScript, [file, csv, String(start)])) as number[];
    expect(p).toHaveLength(ref.held * 10);
    p.forEach((v, i) => expect(Math.abs(v - ref.probs[i]), `value ${i}`).toBeLessThanOrEqual(1e-3));
    expect(argmax(p, ref.held)).toEqual(argmax(ref.probs, ref.held));
  });
});
