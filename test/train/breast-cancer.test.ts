/**
 * graphs/breast-cancer.ts: logistic regression on 30 raw, unscaled features. Fused (the loss as the op or
 * written out) every cost is finite; the written-out loss with fusion off is not, from the first epoch;
 * `--explain` says which rewrite saves it and why.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import model from '../../graphs/breast-cancer.ts';
import { train } from '../../index.ts';
import { compileModel } from '../../compiler/passes/compile.ts';
import { explain } from '../../cli/compile.ts';
import { dataFile } from '../support/seed.ts';

const data = readFileSync(dataFile('breast-cancer.csv'), 'utf8');

describe('breast cancer: large logits', () => {
  it('fused, the op and the written-out loss train alike with finite costs; unfused, the written-out loss is not finite', async () => {
    const bce = await train(model, { data, epochs: 20, logEvery: 5 });
    const manual = await train(model, { data, epochs: 20, logEvery: 5, options: { loss: 'manual' } });
    expect(bce.log.every((e) => Number.isFinite(e.cost))).toBe(true);
    expect(bce.log[0].cost).toBeGreaterThan(10); // logits in the hundreds: the first cost is |z| of the wrong rows
    manual.log.forEach((e, i) => expect(e.cost).toBeCloseTo(bce.log[i].cost, 5));
    const unfused = await train(model, { data, epochs: 0, options: { loss: 'manual' }, fuse: false });
    expect(Number.isFinite(unfused.log[0].cost)).toBe(false);
  });

  it('--explain shows the fusion and why', () => {
    for (const loss of ['bce', 'manual']) {
      const text = explain(compileModel(model.build({ loss }), { lr: 0.01 }).report);
      expect(text).toMatch(/fuse-sigmoid-bce: \d+ -> \d+ ops, 1 rewrite at \S*graphs\/breast-cancer\.ts:\d+/);
      expect(text).toMatch(/-> BCEWithLogits\(z, y\)/);
      expect(text).toMatch(/why: in float32 sigmoid\(z\) rounds to exactly 1 .* log 0 = -inf .* finite for every z/);
    }
  });
});
