/**
 * share-exp: the train step of a BCE model computes e^(−|z|) once, for the loss and for its gradient's
 * sigmoid. Checked: the rewrite (and that it leaves graphs without both uses alone, saying why), the
 * float64 step equal to the step without the pass, and the float32 step (SIMD kernels, a W2-sized batch
 * with logits up to ±1e4) within float32 accuracy of the float64 reference plan.
 */
import { describe, expect, it } from 'vitest';
import { defineModel, input, param, values, binaryCrossEntropy } from '../../compiler/index.ts';
import { compileModel } from '../../compiler/passes/index.ts';
import { runPasses, graphPasses } from '../../compiler/passes/pipeline.ts';
import { shareExp } from '../../compiler/passes/rules/share-exp.ts';
import { trainStepGraph } from '../../compiler/train/step.ts';
import { runGraph, randoms } from '../support/run.ts';

const F = 8;
const model = defineModel({
  name: 'share-exp',
  build() {
    const x = input('x', ['N', F]);
    const y = input('y', ['N', 1]);
    const W = param('W', [F, 1], values(randoms(F, 11, -1, 1)));
    const b = param('b', [1], values([0.25]));
    const h = x.matmul(W).add(b).sigmoid();
    return { loss: binaryCrossEntropy(h, y), predict: h };
  },
});

function feeds(n: number, seed: number) {
  // features in [-1, 1], a few rows scaled so that their logits reach ±1e4 (e^(−|z|) underflows to 0)
  const x = randoms(n * F, seed, -1, 1).map((v, i) => (Math.floor(i / F) % 50 === 7 ? v * 5000 : v));
  const y = randoms(n, seed + 1, 0, 1).map((v) => (v > 0.5 ? 1 : 0));
  return { x: { data: x, shape: [n, F] }, y: { data: y, shape: [n, 1] } };
}

describe('share-exp', () => {
  it('one exp(-|z|) feeds the loss and the gradient', () => {
    // (without row regions, which would take the chain into a region's body)
    const c = compileModel(model.build(), { lr: 1, regions: false });
    const ops = c.trainStep.nodes.map((n) => n.op);
    expect(ops).toContain('BCEWithLogitsExp');
    expect(ops).not.toContain('BCEWithLogits');
    expect(ops).not.toContain('Sigmoid');
    const bodies = c.trainStep.nodes.filter((n) => n.op === 'Fused').map((n) => JSON.parse(String(n.attrs.body)).map(([op]: [string]) => op).join('·'));
    expect(bodies).toEqual(expect.arrayContaining(['Abs·Neg·Exp', 'SigmoidExp·Sub·Div']));
    const exps = c.trainStep.nodes.flatMap((n) => (n.op === 'Fused' ? JSON.parse(String(n.attrs.body)).map(([op]: [string]) => op) : [n.op])).filter((op) => op === 'Exp');
    expect(exps).toHaveLength(1);
    const r = c.report.find((p) => p.pass === 'share-exp' && p.graph.endsWith('.train'))!;
    expect(r.rewrites.map((w) => w.what).join('\n')).toMatch(/BCEWithLogitsExp/);
    expect(r.rewrites[0].src?.file).toMatch(/share-exp\.test\.ts$/);
  });

  it('leaves a loss without a sigmoid of the same logits alone, and says why', () => {
    const m = model.build();
    const fwd = runPasses(m.forward, [shareExp]);
    expect(fwd.nodes.map((n) => n.op)).toContain('BCE'); // not fused yet: nothing to share
    const fused = compileModel(m, { lr: 1 }).forward; // BCEWithLogits(z, y); predict is Sigmoid(z)
    const lossOnly = fused.withOutputs([fused.outputs.find((o) => o.name === 'loss')!]);
    const r = shareExp.run(lossOnly);
    expect(r.graph).toBe(lossOnly);
    expect(r.misses!.map((w) => w.what).join('\n')).toMatch(/no Sigmoid of the same logits/);
  });

  it('with --no-fuse there is nothing to share (the pass is not run)', () => {
    const c = compileModel(model.build(), { lr: 1, fuse: false });
    expect(c.report.map((p) => p.pass)).not.toContain('share-exp');
  });

  it('float64: the same numbers as the step without the pass', () => {
    const m = model.build();
    const c = compileModel(m, { lr: 1 });
    const fused = c.forward;
    const without = runPasses(trainStepGraph({ ...m, forward: fused }, { lr: 1 } as never), graphPasses({}).filter((p) => p.name !== 'share-exp'));
    expect(without.nodes.map((n) => n.op)).toContain('BCEWithLogits');
    for (const n of [6, 759]) {
      const f = feeds(n, n);
      const a = runGraph(c.trainStep, f, 'f64');
      const b = runGraph(without, f, 'f64');
      for (const k of Object.keys(b)) a[k].forEach((v, i) => expect(Math.abs(v - b[k][i])).toBeLessThanOrEqual(1e-15 * (1 + Math.abs(b[k][i]))));
    }
  });

  it('float32 (SIMD kernels from 256 rows): the step without the pass, and the float64 plan to float32 accuracy', () => {
    const m = model.build();
    const c = compileModel(m, { lr: 1 });
    const without = runPasses(trainStepGraph({ ...m, forward: c.forward }, { lr: 1 } as never), graphPasses({}).filter((p) => p.name !== 'share-exp'));
    for (const n of [759, 1024, 1027, 100]) {
      const f = feeds(n, 3 * n);
      const a = runGraph(c.trainStep, f, 'f32');
      const b = runGraph(without, f, 'f32');
      const ref = runGraph(c.trainStep, f, 'f64');
      // the same float32 operations: the updates bit for bit, the loss too but for the last n mod 4 terms
      // (float32 SIMD here, float64 in BCEWithLogits's tail)
      for (const k of ['next:W', 'next:b']) expect([...a[k]], `${k}, n = ${n}`).toEqual([...b[k]]);
      expect(Math.abs(a.loss[0] - b.loss[0])).toBeLessThanOrEqual(n % 4 ? 2 ** -22 * b.loss[0] : 0);
      expect(Math.abs(a.loss[0] - ref.loss[0])).toBeLessThanOrEqual(1e-6 * ref.loss[0]);
      expect(Math.abs(a['next:b'][0] - ref['next:b'][0])).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(ref['next:b'][0])));
      // features up to 5000: the products (and the logits before them) carry float32 roundings of that size
      a['next:W'].forEach((v, i) => expect(Math.abs(v - ref['next:W'][i]), `next:W[${i}], n = ${n}`).toBeLessThanOrEqual(5e-5));
    }
  });
});
