/**
 * LocalResponseNorm trained against PyTorch 1.13 (run at test time): Conv2d → LocalResponseNorm → ReLU →
 * Linear after the same manual_seed, a few full-batch SGD steps through the compiled train step (LRN's
 * gradient, its expansion, through the pass pipeline). Each step's loss and the final parameters match
 * within float32 tolerance, for an odd size and an even one (PyTorch's window), and the exported inference
 * graph in onnxruntime gives the trained model's predictions.
 */
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { Conv2d, Flatten, Linear, LocalResponseNorm, defineModel, input, train, predict, exportOnnx, type Tensor } from '../../index.ts';
import { hasTorch, python, sayIfMissing } from '../support/peers.ts';

sayIfMissing('PyTorch (python3-torch)', hasTorch, 'lrn-torch.slow.test');

const STEPS = 5, LR = 0.1, C = 5;

interface Ref { x: number[]; xt: number[]; y: number[]; losses: number[]; state: Record<string, number[]>; eval: number[] }

function torchRun(size: number): Ref {
  return JSON.parse(python(`
import torch, json, sys
size, steps, lr, C = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
torch.manual_seed(0)
class M(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, C, 3, padding=1); self.lrn = torch.nn.LocalResponseNorm(size, alpha=0.5, beta=0.75, k=1.5); self.l2 = torch.nn.Linear(C * 16, 1)
    def forward(self, x):
        return self.l2(torch.relu(self.lrn(self.conv(x))).flatten(1))
m = M()
g = torch.Generator().manual_seed(1)
x = torch.randn(12, 1, 4, 4, generator=g) * 2 + 0.5
xt = torch.randn(7, 1, 4, 4, generator=g) * 2 + 0.5
y = torch.randn(12, 1, generator=g)
opt = torch.optim.SGD(m.parameters(), lr=lr)
losses = []
for _ in range(steps):
    opt.zero_grad(); loss = ((m(x) - y) ** 2).mean(); loss.backward(); opt.step(); losses.append(loss.item())
with torch.no_grad():
    ev = m(xt)
print(json.dumps({'x': x.flatten().tolist(), 'xt': xt.flatten().tolist(), 'y': y.flatten().tolist(), 'losses': losses, 'state': {k: v.flatten().tolist() for k, v in m.state_dict().items()}, 'eval': ev.flatten().tolist()}))
`, [String(size), String(STEPS), String(LR), String(C)]));
}

const mse = (p: Tensor<['N', 1]>, y: Tensor<['N', 1]>) => { const d = p.sub(y); return d.mul(d).mean(); };

const model = (size: number) => defineModel({
  name: `lrn${size}`,
  build() {
    const x = input('x', ['N', 1, 4, 4]), y = input('y', ['N', 1]);
    const conv = new Conv2d(1, C, 3, { padding: 1 }), lrn = new LocalResponseNorm(size, { alpha: 0.5, beta: 0.75, k: 1.5 }), l2 = new Linear(C * 16, 1, 'l2');
    const p = l2.forward(new Flatten().forward(lrn.forward(conv.forward(x)).relu()));
    return { loss: mse(p, y), predict: p };
  },
});

const near = (got: ArrayLike<number>, want: readonly number[], tol: number, what: string) => {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i]), `${what}[${i}]: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want[i])));
};

describe.skipIf(!hasTorch)('LocalResponseNorm trained against PyTorch', () => {
  for (const size of [3, 4])
    it(`size ${size}: per-step losses, parameters, predictions and ONNX`, async () => {
      const ref = torchRun(size);
      const t = await train(model(size), { data: { x: Float32Array.from(ref.x), shape: [ref.y.length, 1, 4, 4], y: ref.y }, epochs: STEPS - 1, lr: LR, logEvery: 1 });
      near(t.log.map((e) => e.cost), ref.losses, 2e-6, 'loss');
      expect(Object.keys(t.params).sort()).toEqual(Object.keys(ref.state).sort());
      for (const [name, want] of Object.entries(ref.state)) near(t.params[name], want, 2e-5, name);
      const xt = Float32Array.from(ref.xt), shape = [xt.length / 16, 1, 4, 4];
      near(predict(t, { x: xt, shape }).data, ref.eval, 2e-5, 'predict');
      const out = await (await ort.InferenceSession.create(await exportOnnx(t))).run({ x: new ort.Tensor('float32', xt, shape) });
      near(out.predict.data as Float32Array, ref.eval, 2e-5, 'onnxruntime');
    });
});
