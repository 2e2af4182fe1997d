/**
 * graphs/digits-cnn.ts against PyTorch 1.13 running the same network on the same data: the same layers
 * (BatchNorm2d in training mode, then model.eval() for the held-out rows) after manual_seed(0) (graphc
 * initializes as PyTorch does), Adam, minibatches of 64 in DataLoader(shuffle=True)'s order, the last 20%
 * of data/digits.csv held out.
 *
 * How close float32 allows: Adam at this rate turns a rounding difference in a near-zero gradient into a
 * step of the full rate, so nine epochs amplify the order a kernel sums in. PyTorch's own float32 costs
 * differ by that much between its CPU kernel paths: on one machine the oneDNN convolutions and PyTorch's
 * own (oneDNN limited to SSE4.1) differ by 1e-4 from the second epoch on, and two CPUs' default paths by
 * 2.5e-6 in it. So graphc's cost of every epoch must lie among PyTorch's results on this machine (its
 * default path, its own convolutions, float64), widened by 2e-6 (the printed cost's sixth decimal), and
 * its held-out accuracy among theirs give or take one row. The export is held to PyTorch exactly: PyTorch's
 * trained parameters put in graphc's model, exported, give PyTorch's predictions in onnxruntime-node and
 * in OpenCV's dnn module.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { train, exportOnnx, trainedModel, type Trained } from '../../index.ts';
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
dt = torch.float64 if cfg['float64'] else torch.float32
torch.manual_seed(cfg['seed'])
xy = np.loadtxt(sys.argv[1], delimiter=',', dtype=np.float32)
x = torch.from_numpy(xy[:, :-1]).reshape(-1, 1, 8, 8); y = torch.from_numpy(xy[:, -1]).long()
n = round(len(xy) * (1 - cfg['holdout']))
model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1),
                      nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 10)).to(dt)
x = x.to(dt)
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
state = {k: v.flatten().tolist() for k, v in model.state_dict().items() if k.split('.')[-1] != 'num_batches_tracked'}
print(json.dumps({'costs': costs, 'correct': accs, 'held': len(xy) - n, 'probs': p.flatten().tolist(), 'state': state}))`;
/** PyTorch's kernel paths run beside its default: its own convolutions (oneDNN limited to SSE4.1), and float64. */
const paths: { env: Record<string, string>; float64: boolean }[] = [{ env: { DNNL_MAX_CPU_ISA: 'SSE41' }, float64: false }, { env: {}, float64: true }];
/** graphc's parameter for each of PyTorch's (the Sequential's index, then the tensor). */
const names: Record<string, string> = { 0: 'conv1', 3: 'conv2', 4: 'bn2', 8: 'fc' };

const opencvScript = `
import cv2, numpy as np, json, sys
net = cv2.dnn.readNetFromONNX(sys.argv[1])
x = np.loadtxt(sys.argv[2], delimiter=',', dtype=np.float32)[int(sys.argv[3]):, :-1].reshape(-1, 1, 8, 8)
net.setInput(x)
print(json.dumps(net.forward().flatten().tolist()))`;

interface Ref { costs: number[]; correct: number[]; held: number; probs: number[]; state: Record<string, number[]> }
const argmax = (p: ArrayLike<number>, rows: number) => Array.from({ length: rows }, (_, r) => {
  let best = 0;
  for (let c = 1; c < 10; c++) if (p[r * 10 + c] > p[r * 10 + best]) best = c;
  return best;
});

describe.skipIf(!hasTorch)('digits CNN vs PyTorch', () => {
  let ref: Ref, others: Ref[], trained: Trained, onnx: Uint8Array, heldX: Float32Array, start: number;
  beforeAll(async () => {
    const t = cnn.train;
    const run = (float64: boolean, env: Record<string, string> = {}) =>
      pythonAsync(torchScript, [csv, JSON.stringify({ seed: 0, lr: t.lr, holdout: t.holdout, batch: t.batchSize, epochs: t.epochs, float64 })], env).then((out) => JSON.parse(out) as Ref);
    [ref, ...others] = await Promise.all([run(false), ...paths.map((p) => run(p.float64, p.env))]);
    const text = readFileSync(csv, 'utf8');
    trained = await train(cnn, { data: text, source: csv });
    // the export of PyTorch's trained network: its parameters and running statistics in graphc's model
    const store = trainedModel(trained).params;
    for (const [key, v] of Object.entries(ref.state)) {
      const [layer, tensor] = key.split('.');
      const name = `${names[layer]}.${tensor}`;
      expect(store.values.get(name)?.length, name).toBe(v.length);
      store.values.get(name)!.set(v);
    }
    onnx = await exportOnnx(trained);
    const rows = text.split('\n').filter((l) => l.trim() && !l.startsWith('#')).map((l) => l.split(',').map(Number));
    start = rows.length - ref.held;
    heldX = Float32Array.from(rows.slice(start).flatMap((r) => r.slice(0, 64)));
  }, 300_000);

  /** The least and greatest of PyTorch's results per epoch over its paths. */
  const range = (f: (r: Ref) => number[]) => f(ref).map((_, i) => {
    const v = [ref, ...others].map((r) => f(r)[i]);
    return [Math.min(...v), Math.max(...v)];
  });

  it('the cost of every epoch: among PyTorch\'s own, to the printed digits float32 allows', () => {
    expect(trained.log.map((e) => e.epoch)).toEqual(ref.costs.map((_, i) => i));
    const r = range((x) => x.costs);
    trained.log.forEach((e, i) =>
      expect(e.cost >= r[i][0] - 2e-6 && e.cost <= r[i][1] + 2e-6, `epoch ${i}: ${e.cost} against PyTorch's ${r[i][0]}..${r[i][1]}`).toBe(true));
    expect(ref.costs.at(-1)).toBeLessThan(0.05); // it learned
  });

  it('the held-out accuracy of every epoch: among PyTorch\'s own counts of rows, give or take one', () => {
    const ours = trained.log.map((e) => Math.round(e.valAccuracy! * ref.held));
    expect(ours).toHaveLength(ref.correct.length);
    const r = range((x) => x.correct);
    ours.forEach((n, i) => expect(n >= r[i][0] - 1 && n <= r[i][1] + 1, `epoch ${i}: ${n} rows against PyTorch's ${r[i][0]}..${r[i][1]}`).toBe(true));
    expect(ref.correct.at(-1)! / ref.held).toBeGreaterThan(0.85);
  });

  it('PyTorch\'s trained network exported by graphc, in onnxruntime-node: PyTorch\'s predictions', async () => {
    const session = await ort.InferenceSession.create(onnx);
    const out = await session.run({ x: new ort.Tensor('float32', heldX, [ref.held, 1, 8, 8]) });
    const p = out.predict.data as Float32Array;
    expect(out.predict.dims).toEqual([ref.held, 10]);
    p.forEach((v, i) => expect(Math.abs(v - ref.probs[i]), `value ${i}`).toBeLessThanOrEqual(1e-5));
    expect(argmax(p, ref.held)).toEqual(argmax(ref.probs, ref.held));
  });

  it.skipIf(!hasOpenCv)('PyTorch\'s trained network exported by graphc, in OpenCV (cv2.dnn.readNetFromONNX): PyTorch\'s predictions', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'graphc-cnn-')), 'digits-cnn.onnx');
    writeFileSync(file, onnx);
    const p = JSON.parse(await pythonAsync(opencvScript, [file, csv, String(start)])) as number[];
    expect(p).toHaveLength(ref.held * 10);
    p.forEach((v, i) => expect(Math.abs(v - ref.probs[i]), `value ${i}`).toBeLessThanOrEqual(1e-5));
    expect(argmax(p, ref.held)).toEqual(argmax(ref.probs, ref.held));
  });
});
