/**
 * Training an ONNX model whose shapes are computed from its dynamic batch's size (PyTorch 1.13's export
 * of `h.reshape(h.size(0) * 2, 4)`: the Reshape's target is computed from Shape(h)). graphc specialises it
 * on the training batch's shape and runs every other shape (the last, shorter minibatch, the held-out rows,
 * the whole training set, a prediction) on a specialisation over the same parameters and optimizer state.
 * References from outside graphc: PyTorch training the same module from the same initial weights (those in
 * the .onnx) on the same batches, in the same order; onnxruntime-node and onnx.checker for the trained file.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { attachLoss, exportOnnx, importOnnx, OnnxSpecializeError, predict, train } from '../../index.ts';
import { graphc } from '../support/cli.ts';
import { hasOnnx, hasTorch, python, sayIfMissing } from '../support/peers.ts';

sayIfMissing('PyTorch (python3-torch) and python3-onnx', hasTorch && hasOnnx, 'train-specialized.slow.test');
const dir = mkdtempSync(join(tmpdir(), 'graphc-train-specialized-'));

// 30 rows, the last 6 held out (holdout 0.2); batches of 5 in order: 4 of 5 rows and a last one of 4
const ROWS = 30, TRAIN = 24, BATCH = 5, EPOCHS = 12, LR = 0.5;

const MAKE = `
import torch, json, sys, os
d, momentum, LR, write = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4] == '1'
ROWS, TRAIN, B, E = ${ROWS}, ${TRAIN}, ${BATCH}, ${EPOCHS}
torch.manual_seed(0)
class M(torch.nn.Module):
    def __init__(s):
        super().__init__()
        s.a = torch.nn.Linear(6, 8)
        s.c = torch.nn.Linear(4, 3)
        s.b = torch.nn.Linear(6, 1)
    def forward(s, x):
        h = torch.tanh(s.a(x))
        h = torch.tanh(s.c(h.reshape(h.size(0) * 2, 4)))
        return torch.sigmoid(s.b(h.reshape(x.size(0), -1)))
m = M()
if write:
    torch.onnx.export(m, torch.randn(3, 6), os.path.join(d, 'm.onnx'), opset_version=17, input_names=['x'], output_names=['p'], dynamic_axes={'x': {0: 'N'}, 'p': {0: 'N'}})
g = torch.Generator().manual_seed(1)
X = torch.randn(ROWS, 6, generator=g)
Y = (X[:, 0] - 0.5 * X[:, 3] + 0.3 * torch.randn(ROWS, generator=g) > 0).float()
if write:
    with open(os.path.join(d, 'data.csv'), 'w') as f:
        for r in range(ROWS):
            f.write(','.join(repr(v) for v in X[r].tolist()) + ',' + repr(Y[r].item()) + '\\n')
opt = torch.optim.SGD(m.parameters(), lr=LR, momentum=momentum)
lossf = torch.nn.BCELoss()
log = []
for epoch in range(E + 1):
    costs = []
    for s in range(0, TRAIN, B):
        e = min(s + B, TRAIN)
        loss = lossf(m(X[s:e]), Y[s:e, None])
        opt.zero_grad(); loss.backward(); opt.step()
        costs.append(loss.item())
    with torch.no_grad():
        val = ((m(X[TRAIN:]) >= 0.5).float() == Y[TRAIN:, None]).float().mean().item()
    log.append({'cost': sum(costs) / len(costs), 'val': val})
with torch.no_grad():
    acc = ((m(X[:TRAIN]) >= 0.5).float() == Y[:TRAIN, None]).float().mean().item()
    outs = {str(n): m(X[:n]).flatten().tolist() for n in (2, 7)}
print(json.dumps({'log': log, 'params': {k: v.flatten().tolist() for k, v in m.state_dict().items()}, 'accuracy': acc, 'x': X.tolist(), 'outs': outs}))
`;

interface Ref { log: { cost: number; val: number }[]; params: Record<string, number[]>; accuracy: number; x: number[][]; outs: Record<string, number[]> }
const ready = hasTorch && hasOnnx;
const ref = (momentum: number, lr: number, write = false): Ref => JSON.parse(python(MAKE, [dir, String(momentum), String(lr), write ? '1' : '0']));
const plain: Ref | null = ready ? ref(0, LR, true) : null;
const csv = ready ? readFileSync(join(dir, 'data.csv'), 'utf8') : '';

const within = (got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string) => {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i]), `${what}[${i}]: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want[i])));
};

/** A training's log and parameters against PyTorch's (float32's tolerance over a dozen epochs). */
function sameTraining(got: { log: readonly { epoch: number; cost: number; valAccuracy?: number }[]; params: Readonly<Record<string, number[]>>; accuracy?: number }, want: Ref) {
  expect(got.log.map((e) => e.epoch)).toEqual(want.log.map((_, i) => i));
  within(got.log.map((e) => e.cost), want.log.map((e) => e.cost), 2e-5, 'cost per epoch');
  expect(got.log.map((e) => e.valAccuracy)).toEqual(want.log.map((e) => Math.fround(e.val)));
  expect(Object.keys(got.params).sort()).toEqual(Object.keys(want.params).sort());
  for (const [name, v] of Object.entries(want.params)) within(got.params[name], v, 2e-5, name);
  expect(got.accuracy).toBeCloseTo(want.accuracy, 6);
}

/** The trained file through onnx.checker and onnxruntime-node at batches of 2 and 7, against the PyTorch module trained. */
async function checkFile(path: string, want: Ref) {
  python('import onnx, sys\nonnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)', [path]);
  const s = await ort.InferenceSession.create(path);
  for (const n of [2, 7]) {
    const r = await s.run({ x: new ort.Tensor('float32', Float32Array.from(want.x.slice(0, n).flat()), [n, 6]) });
    within(r.p.data as Float32Array, want.outs[String(n)], 1e-5, `onnxruntime batch ${n}`);
  }
}

describe.skipIf(!ready)('training an ONNX model specialised on its batch\'s shape', () => {
  it('graphc train: per-epoch costs, held-out accuracy and parameters as PyTorch\'s; --onnx runs in onnxruntime at two batch sizes', async () => {
    const out = join(dir, 'cli.onnx');
    const args = ['train', join(dir, 'm.onnx'), '--data', join(dir, 'data.csv'), '--batch-size', String(BATCH), '--holdout', '0.2'];
    const r = await graphc([...args, '--epochs', String(EPOCHS), '--lr', String(LR), '--log-every', '1', '--json', '--onnx', out], { timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    sameTraining(JSON.parse(r.stdout), plain!);
    await checkFile(out, plain!);
  });

  it('the API: importOnnx({ shapes }), attachLoss and train with momentum (its state shared by every shape); predict and exportOnnx at other batch sizes', async () => {
    const bytes = new Uint8Array(readFileSync(join(dir, 'm.onnx')));
    await expect(importOnnx(bytes)).rejects.toBeInstanceOf(OnnxSpecializeError);
    const sgd = await train(attachLoss(await importOnnx(bytes, { shapes: { x: [BATCH, 6] } }), 'bce'), { data: csv, epochs: EPOCHS, lr: LR, logEvery: 1, batchSize: BATCH, holdout: 0.2 });
    sameTraining(sgd, plain!);
    // (at a smaller rate: momentum 0.9 at 0.5 makes the costs swing, and float32's roundings grow past 1e-5 in a dozen epochs)
    const want = ref(0.9, 0.1);
    const t = await train(attachLoss(await importOnnx(bytes, { shapes: { x: [BATCH, 6] } }), 'bce'), { data: csv, epochs: EPOCHS, lr: 0.1, logEvery: 1, batchSize: BATCH, holdout: 0.2, optimizer: { kind: 'sgd', momentum: 0.9 } });
    sameTraining(t, want);
    for (const n of [2, 7]) {
      const p = predict(t, { x: want.x.slice(0, n) });
      expect(p.shape).toEqual([n, 1]);
      within(p.data, want.outs[String(n)], 1e-5, `predict batch ${n}`);
    }
    const path = join(dir, 'api.onnx');
    writeFileSync(path, await exportOnnx(t));
    await checkFile(path, want);
  });
});
