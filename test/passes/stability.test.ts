/**
 * Numerical stability of the fused loss: logits of ±1e4 give a finite loss and finite gradients that
 * match a float64 reference (plain math in this file) within 1e-6 relative. (With fusion off, the BCE op
 * behaves as PyTorch's unfused F.binary_cross_entropy: stability-torch.slow.test.ts, in the slow tier.)
 */
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../compiler/passes/index.ts';
import { runGraph } from '../support/run.ts';
import { xs, ys, W0, b0, model, feeds, lr } from '../support/stability.ts';

/** float64 reference: loss = mean(max(z,0) - z·y + log(1 + exp(-|z|))), dz = (σ(z) - y)/N. */
function reference() {
  const N = xs.length;
  let loss = 0, gW = 0, gb = 0;
  xs.forEach((x, i) => {
    const z = x * Math.fround(W0) + Math.fround(b0);
    loss += Math.max(z, 0) - z * ys[i] + Math.log1p(Math.exp(-Math.abs(z)));
    const d = (1 / (1 + Math.exp(-z)) - ys[i]) / N;
    gW += d * x;
    gb += d;
  });
  return { loss: loss / N, W: Math.fround(W0) - lr * gW, b: Math.fround(b0) - lr * gb };
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-30);

describe('fused loss on logits of ±1e4', () => {
  for (const form of ['bce', 'manual'] as const)
    it(`${form}: finite, and within 1e-6 of the float64 reference`, () => {
      const step = compileModel(model(form).build(), { lr }).trainStep;
      expect(step.nodes.map((n) => n.op)).toContain('BCEWithLogitsExp'); // BCEWithLogits, its exp shared with the gradient
      const out = runGraph(step, feeds, 'f32');
      const ref = reference();
      for (const v of [out.loss[0], out['next:W'][0], out['next:b'][0]]) expect(Number.isFinite(v)).toBe(true);
      expect(rel(out.loss[0], ref.loss)).toBeLessThan(1e-6);
      expect(rel(out['next:W'][0], ref.W)).toBeLessThan(1e-6);
      expect(rel(out['next:b'][0], ref.b)).toBeLessThan(1e-6);
    });
  it('without fusion the written-out formula overflows to a non-finite loss (log(0))', () => {
    const out = runGraph(compileModel(model('manual').build(), { lr, fuse: false }).trainStep, feeds, 'f32');
    expect(Number.isFinite(out.loss[0])).toBe(false);
  });
});
