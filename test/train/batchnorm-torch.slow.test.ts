/**
 * Batch normalization held to PyTorch 1.13 (run at test time): models with BatchNorm1d over [N, C] and
 * over [N, C, L] (statistics over N and L per channel) and one with BatchNorm2d, built after the same manual_seed, trained a few full-batch SGD steps. Each step's loss, the
 * final parameters and running statistics (state_dict names) match within float32 tolerance; predictions
 * in evaluation mode match `model.eval()`, and so does the exported inference graph in onnxruntime.
 */
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { BatchNorm1d, BatchNorm2d, Conv2d, Flatten, Linear, defineModel, input, train, predict, exportOnnx, type Tensor } from '../../index.ts';
import { hasTorch, python, sayIfMissing } from '../support/peers.ts';

sayIfMissing('PyTorch (python3-torch)', hasTorch, 'batchnorm-torch.slow.test');

const STEPS = 5;
const LR = 0.1;

interface Ref { x: number[]; xt: number[]; y: number[]; losses: number[]; state: Record<string, number[]>; eval: number[] }

/** PyTorch's side: the same model after manual_seed(0), data from its own generator, STEPS SGD steps. */
function torchRun(kind: Kind): Ref {
  return JSON.parse(python(`
import torch, json, sys
kind, steps, lr = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
torch.manual_seed(0)
class M(torch.nn.Module):
    def __init__(self):
        super().__init__()
        if kind == '1d':
            self.l1 = torch.nn.Linear(5, 6); self.bn = torch.nn.BatchNorm1d(6); self.l2 = torch.nn.Linear(6, 1)
        elif kind == '1dL':
            self.bn = torch.nn.BatchNorm1d(3); self.l2 = torch.nn.Linear(15, 1)
        else:
            self.conv = torch.nn.Conv2d(1, 3, 3, padding=1); self.bn = torch.nn.BatchNorm2d(3); self.l2 = torch.nn.Linear(48, 1)
    def forward(self, x):
        h = self.l1(x) if kind == '1d' else x if kind == '1dL' else self.conv(x)
        h = torch.relu(self.bn(h))
        return self.l2(h.flatten(1))
m = M()
g = torch.Generator().manual_seed(1)
shape = (16, 5) if kind == '1d' else (12, 3, 5) if kind == '1dL' else (12, 1, 4, 4)
x = torch.randn(*shape, generator=g) * 2 + 0.5
xt = torch.randn(*((7,) + shape[1:]), generator=g) * 2 + 0.5
y = torch.randn(shape[0], 1, generator=g)
opt = torch.optim.SGD(m.parameters(), lr=lr)
losses = []
for _ in range(steps):
    opt.zero_grad(); loss = ((m(x) - y) ** 2).mean(); loss.backward(); opt.step(); losses.append(loss.item())
m.eval()
with torch.no_grad():
    ev = m(xt)
state = {k: v.flatten().tolist() for k, v in m.state_dict().items() if not k.endswith('num_batches_tracked')}
print(json.dumps({'x': x.flatten().tolist(), 'xt': xt.flatten().tolist(), 'y': y.flatten().tolist(), 'losses': losses, 'state': state, 'eval': ev.flatten().tolist()}))
`, [kind, String(STEPS), String(LR)]));
}

const mse = (p: Tensor<['N', 1]>, y: Tensor<['N', 1]>) => { const d = p.sub(y); return d.mul(d).mean(); };

type Kind = '1d' | '1dL' | '2d';
const models: Record<Kind, ReturnType<typeof defineModel>> = {
  '1d': defineModel({
    name: 'bn1d',
    build() {
      const x = input('x', ['N', 5]), y = input('y', ['N', 1]);
      const l1 = new Linear(5, 6, 'l1'), bn = new BatchNorm1d(6), l2 = new Linear(6, 1, 'l2');
      const p = l2.forward(bn.forward(l1.forward(x)).relu());
      return { loss: mse(p, y), predict: p };
    },
  }),
  // BatchNorm1d over [N, C, L]: statistics over N and L per channel
  '1dL': defineModel({
    name: 'bn1dL',
    build() {
      const x = input('x', ['N', 3, 5]), y = input('y', ['N', 1]);
      const bn = new BatchNorm1d(3), l2 = new Linear(15, 1, 'l2');
      const p = l2.forward(new Flatten().forward(bn.forward(x).relu()));
      return { loss: mse(p, y), predict: p };
    },
  }),
  '2d': defineModel({
    name: 'bn2d',
    build() {
      const x = input('x', ['N', 1, 4, 4]), y = input('y', ['N', 1]);
      const conv = new Conv2d(1, 3, 3, { padding: 1 }), bn = new BatchNorm2d(3), l2 = new Linear(48, 1, 'l2');
      const p = l2.forward(new Flatten().forward(bn.forward(conv.forward(x)).relu()));
      return { loss: mse(p, y), predict: p };
    },
  }),
};

const near = (got: ArrayLike<number>, want: readonly number[], tol: number, what: string) => {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i]), `${what}[${i}]: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want[i])));
};

describe.skipIf(!hasTorch)('batch normalization against PyTorch', () => {
  for (const kind of ['1d', '1dL', '2d'] as const)
    it(`BatchNorm${kind}: per-step losses, parameters, running statistics, eval predictions and ONNX`, async () => {
      const ref = torchRun(kind);
      const row = kind === '1d' ? [5] : kind === '1dL' ? [3, 5] : [1, 4, 4];
      const per = row.reduce((a, b) => a * b, 1);
      const rows = ref.y.length;
      const t = await train(models[kind], { data: { x: Float32Array.from(ref.x), shape: [rows, ...row], y: ref.y }, epochs: STEPS - 1, lr: LR, logEvery: 1 });
      near(t.log.map((e) => e.cost), ref.losses, 2e-6, 'loss');
      expect(Object.keys(t.params).sort()).toEqual(Object.keys(ref.state).sort());
      for (const [name, want] of Object.entries(ref.state)) near(t.params[name], want, 2e-5, name);
      // the running statistics moved (PyTorch's momentum, unbiased variance), and the optimizer kept out of them
      expect(t.params['bn.running_mean'].some((v) => Math.abs(v) > 0.01)).toBe(true);
      expect(t.params['bn.running_var'].some((v) => Math.abs(v - 1) > 0.01)).toBe(true);
      const xt = Float32Array.from(ref.xt), shape = [xt.length / per, ...row];
      const ours = predict(t, { x: xt, shape });
      near(ours.data, ref.eval, 2e-5, 'eval predict');
      const session = await ort.InferenceSession.create(await exportOnnx(t));
      const out = await session.run({ x: new ort.Tensor('float32', xt, shape) });
      near(out.predict.data as Float32Array, ref.eval, 2e-5, 'onnxruntime');
    });
});
