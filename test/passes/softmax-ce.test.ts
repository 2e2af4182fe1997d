/**
 * fuse-softmax-ce: NLL of log(softmax(z)) and the written-out -(onehot * log(softmax(z))).sum(1).mean()
 * become one stable cross-entropy with gradient (softmax(z) - onehot(y)) / N, finite and correct at
 * logits of ±1e4 (reference: plain float64 math in this file).
 */
import { describe, expect, it } from 'vitest';
import { defineModel, input, param, values, oneHot, nllLoss, crossEntropy, type AnyTensor } from '../../compiler/index.ts';
import type { Tensor } from '../../compiler/dsl/tensor.ts';
import { compileModel } from '../../compiler/passes/index.ts';
import { runGraph } from '../support/run.ts';

type Loss = (z: Tensor<['N', 3]>, y: Tensor<['N']>) => AnyTensor;
const W0 = [1e4, -1e4, 0.5, -2, 3e3, 1, 0.25, -0.75, 2];

const model = (loss: Loss) =>
  defineModel({
    name: 'ce',
    build() {
      const x = input('x', ['N', 3]);
      const y = input('y', ['N']);
      const W = param('W', [3, 3], values(W0));
      const z = x.matmul(W);
      return { loss: loss(z, y), predict: z };
    },
  });

const forms: [string, Loss, string][] = [
  ['nll(log(softmax(z)))', (z, y) => nllLoss(z.softmax(1).log(), y), 'CrossEntropy'],
  ['nll(logsoftmax(z))', (z, y) => nllLoss(z.logSoftmax(1), y), 'CrossEntropy'],
  ['-(onehot * log(softmax(z))).sum(1).mean()', (z, y) => oneHot(y, 3).mul(z.softmax(1).log()).sum(1).mean().neg(), 'SoftCrossEntropy'],
  ['(-onehot * log(softmax(z))).sum(1).mean()', (z, y) => oneHot(y, 3).neg().mul(z.softmax(1).log()).sum(1).mean(), 'SoftCrossEntropy'],
  ['crossEntropy(z, y)', (z, y) => crossEntropy(z, y), 'CrossEntropy'],
];

const xs = [1, 0, 0, 0, 1, 0, 0, 0, 1, 0.5, 0.5, 0];
const ys = [1, 0, 2, 1];

/** float64 reference: loss = mean(logsumexp(z) - z[y]); dW = xᵀ (softmax(z) - onehot(y)) / N. */
function reference() {
  const N = 4;
  let loss = 0;
  const dW = new Array(9).fill(0);
  for (let i = 0; i < N; i++) {
    const z = [0, 1, 2].map((c) => [0, 1, 2].reduce((s, k) => s + xs[i * 3 + k] * Math.fround(W0[k * 3 + c]), 0));
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
    loss += lse - z[ys[i]];
    const p = z.map((v) => Math.exp(v - lse));
    for (let k = 0; k < 3; k++) for (let c = 0; c < 3; c++) dW[k * 3 + c] += (xs[i * 3 + k] * (p[c] - (c === ys[i] ? 1 : 0))) / N;
  }
  return { loss: loss / N, W: W0.map((w, j) => Math.fround(w) - dW[j]) };
}

describe('softmax cross-entropy fusion', () => {
  for (const [label, loss, fused] of forms)
    it(`${label} -> ${fused}, stable at logits of ±1e4`, () => {
      const step = compileModel(model(loss).build(), { lr: 1 }).trainStep;
      const ops = step.nodes.map((n) => n.op);
      expect(ops).toContain(fused);
      expect(ops).not.toContain('Log');
      const out = runGraph(step, { x: { data: xs, shape: [4, 3] }, y: { data: ys, shape: [4] } });
      const ref = reference();
      expect(Number.isFinite(out.loss[0])).toBe(true);
      expect(Math.abs(out.loss[0] - ref.loss) / ref.loss).toBeLessThan(1e-6);
      out['next:W'].forEach((v, i) => expect(Math.abs(v - ref.W[i])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(ref.W[i]))));
    });
  it('without fusion, log(softmax) of logits ±1e4 is not finite (the trap the fusion avoids)', () => {
    const step = compileModel(model(forms[0][1]).build(), { lr: 1, fuse: false }).trainStep;
    const out = runGraph(step, { x: { data: xs, shape: [4, 3] }, y: { data: ys, shape: [4] } });
    expect(Number.isFinite(out.loss[0])).toBe(false);
  });
});
