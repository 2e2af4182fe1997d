/**
 * fuse-sigmoid-bce: every way of writing BCE of a sigmoid that the rule claims to cover becomes one
 * BCEWithLogits, the train step computes the same numbers as the unoptimized one on random data, and
 * forms that are not BCE are left alone with a reason.
 */
import { describe, expect, it } from 'vitest';
import { defineModel, input, param, values, sigmoid, log, sub, add, mul, neg, binaryCrossEntropy, type AnyTensor } from '../../compiler/index.ts';
import { compileModel } from '../../compiler/passes/index.ts';
import type { Tensor } from '../../compiler/dsl/tensor.ts';
import { runGraph, randoms } from '../support/run.ts';

type Loss = (h: Tensor<['N', 1]>, y: Tensor<['N', 1]>) => AnyTensor;

function modelWith(loss: Loss, name: string) {
  return defineModel({
    name,
    build() {
      const x = input('x', ['N', 3]);
      const y = input('y', ['N', 1]);
      const W = param('W', [3, 1], values([0.3, -0.2, 0.5]));
      const b = param('b', [1], values([0.1]));
      const h = sigmoid(x.matmul(W).add(b));
      return { loss: loss(h, y), predict: h };
    },
  });
}

const fusedForms: [string, Loss][] = [
  ['the seed\'s formula', (h, y) => y.mul(log(h)).add(sub(1, y).mul(log(sub(1, h)))).neg().mean()],
  ['the BCE op', (h, y) => binaryCrossEntropy(h, y)],
  ['terms swapped, -y + 1', (h, y) => y.neg().add(1).mul(log(sub(1, h))).add(log(h).mul(y)).neg().mean()],
  ['minus inside the mean', (h, y) => y.mul(log(h)).add(sub(1, y).mul(log(sub(1, h)))).neg().mean()],
  ['minus on each term', (h, y) => neg(y.mul(log(h))).sub(sub(1, y).mul(log(sub(1, h)))).mean()],
  ['1 + -h, factors reversed', (h, y) => log(h).mul(y).add(log(add(1, h.neg())).mul(add(1, y.neg()))).neg().mean()],
  ['sum divided by the count', (h, y) => y.mul(log(h)).add(sub(1, y).mul(log(sub(1, h)))).sum().neg().div(6)],
  ['one mean per term: -mean(y*log h) - mean((1-y)*log(1-h))', (h, y) => y.mul(log(h)).mean().neg().sub(sub(1, y).mul(log(sub(1, h))).mean())],
  ['one mean per term, summed then negated', (h, y) => neg(add(log(h).mul(y).mean(), sub(1, y).mul(log(sub(1, h))).mean()))],
  ['a weighted loss: 2 * BCE', (h, y) => y.mul(log(h)).add(sub(1, y).mul(log(sub(1, h)))).neg().mean().mul(2)],
  ['-1 times, sum times 1/N', (h, y) => mul(-1, y.mul(log(h)).add(sub(1, y).mul(log(sub(1, h)))).sum().mul(1 / 6))],
];

const rows = 6;
const feeds = (seed: number, scale = 1) => ({
  x: { data: randoms(rows * 3, seed, -scale, scale), shape: [rows, 3] },
  y: { data: randoms(rows, seed + 1).map((v) => (v > 0 ? 1 : 0)), shape: [rows, 1] },
});

describe('fuse-sigmoid-bce finds BCE of a sigmoid however it is written', () => {
  for (const [label, loss] of fusedForms) {
    it(label, () => {
      // 'sum divided by 6' needs a static count: those forms are checked on a model with N = 6 below
      const staticN = label.includes('count') || label.includes('1/N');
      const m = staticN ? staticModel(loss, label) : modelWith(loss, label);
      const built = m.build();
      const opt = compileModel(built, { lr: 0.5 });
      const raw = compileModel(built, { lr: 0.5, optimize: false });
      const ops = opt.trainStep.nodes.map((n) => n.op);
      // the fused loss (after share-exp: with e^(-|z|) shared with the gradient's sigmoid)
      expect(ops.filter((o) => o === 'BCEWithLogits' || o === 'BCEWithLogitsExp'), label).toHaveLength(1);
      expect(ops).not.toContain('Log');
      for (const seed of [1, 2, 3]) {
        const a = runGraph(opt.trainStep, feeds(seed), 'f64');
        const b = runGraph(raw.trainStep, feeds(seed), 'f64');
        // equal up to float32 constants (1/N is stored in float32)
        for (const k of Object.keys(b)) a[k].forEach((v, i) => expect(Math.abs(v - b[k][i])).toBeLessThanOrEqual(1e-7 * (1 + Math.abs(b[k][i]))));
      }
    });
  }
});

function staticModel(loss: Loss, name: string) {
  return defineModel({
    name,
    build() {
      const x = input('x', [6, 3]);
      const y = input('y', [6, 1]);
      const W = param('W', [3, 1], values([0.3, -0.2, 0.5]));
      const b = param('b', [1], values([0.1]));
      const h = sigmoid(x.matmul(W).add(b));
      return { loss: loss(h as unknown as Tensor<['N', 1]>, y as unknown as Tensor<['N', 1]>), predict: h };
    },
  });
}

describe('fuse-sigmoid-bce leaves other losses alone and says why', () => {
  const cases: [string, Loss, RegExp][] = [
    ['same weight on both logs', (h, y) => y.mul(log(h)).add(y.mul(log(sub(1, h)))).neg().mean(), /not 1 minus the weight/],
    ['a plus sign', (h, y) => y.mul(log(h)).add(sub(1, y).mul(log(sub(1, h)))).mean(), /plus sign/],
    ['one term only', (h, y) => y.mul(log(h)).neg().mean(), /1 terms/],
    ['a symbolic count', (h, y) => y.mul(log(h)).add(sub(1, y).mul(log(sub(1, h)))).sum().neg().div(6), /only known at run time/],
  ];
  for (const [label, loss, reason] of cases)
    it(label, () => {
      const c = compileModel(modelWith(loss, label).build(), { lr: 1 });
      expect(c.trainStep.nodes.map((n) => n.op)).not.toContain('BCEWithLogits');
      expect(c.trainStep.nodes.map((n) => n.op)).not.toContain('BCEWithLogitsExp');
      const misses = c.report.flatMap((r) => r.misses.map((m) => m.what));
      expect(misses.join('\n')).toMatch(reason);
    });
});
