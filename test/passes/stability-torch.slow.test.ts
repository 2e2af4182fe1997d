/**
 * With fusion off, the BCE op behaves as PyTorch's unfused F.binary_cross_entropy (each log clamped at
 * -100) on saturated predictions: checked against PyTorch (Debian's python3-torch, run at test time).
 */
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../compiler/passes/index.ts';
import { runGraph } from '../support/run.ts';
import { hasTorch, python, sayIfMissing } from '../support/peers.ts';
import { xs, ys, W0, b0, model, feeds, lr } from '../support/stability.ts';

sayIfMissing('PyTorch (python3-torch)', hasTorch, 'stability-torch.slow.test');

describe.skipIf(!hasTorch)('without fusion, the BCE op behaves as PyTorch\'s F.binary_cross_entropy', () => {
  it('loss and updated parameters equal PyTorch\'s (float32) on saturated predictions', () => {
    const py = `
import torch, json
import torch.nn.functional as F
x = torch.tensor(${JSON.stringify(xs)}, dtype=torch.float32).reshape(-1, 1)
y = torch.tensor(${JSON.stringify(ys)}, dtype=torch.float32).reshape(-1, 1)
W = torch.tensor([[${W0}]], requires_grad=True); b = torch.tensor([${b0}], requires_grad=True)
loss = F.binary_cross_entropy(torch.sigmoid(x.matmul(W) + b), y)
loss.backward()
print(json.dumps({'loss': loss.item(), 'W': (W - ${lr} * W.grad).item(), 'b': (b - ${lr} * b.grad).item()}))`;
    const ref = JSON.parse(python(py)) as { loss: number; W: number; b: number };
    const out = runGraph(compileModel(model('bce').build(), { lr, fuse: false }).trainStep, feeds, 'f32');
    expect(out.loss[0]).toBeCloseTo(ref.loss, 4); // the clamp: 100 per saturated wrong prediction
    expect(ref.loss).toBeGreaterThan(30);
    expect(out['next:W'][0]).toBeCloseTo(ref.W, 5);
    expect(out['next:b'][0]).toBeCloseTo(ref.b, 5);
  });
});
