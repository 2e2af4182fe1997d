/**
 * The learning rate is a leaf of the train step (`optimizer.lr`): every rate compiles to the same graph,
 * one compiled step trains at any rate, and a schedule sets each step's rate without recompiling.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import diabetes from '../../graphs/diabetes.ts';
import classifier from '../../graphs/binary-classifier.ts';
import { compileModel } from '../../compiler/passes/index.ts';
import { printGraph } from '../../compiler/ir/print.ts';
import { fitModel } from '../../runtime/train.ts';
import { parseCsv } from '../../runtime/data.ts';
import { diabetesCsv } from '../support/seed.ts';

const data = parseCsv(readFileSync(diabetesCsv, 'utf8'));
const cfg = { ...diabetes.train, epochs: 30, logEvery: 10 };
const bits = (r: ReturnType<typeof fitModel>) => ({ log: r.log.map((e) => e.cost), W: [...r.params.get('W')], b: [...r.params.get('b')] });

describe('the learning rate as an input of the step', () => {
  it('every rate prints the same train step', () => {
    const print = (lr: number) => printGraph(compileModel(diabetes.build(), { lr }).trainStep);
    expect(print(0.1)).toBe(print(1));
    expect(print(0.1)).toContain('param optimizer.lr : []');
  });

  it('a step compiled at one rate trains at another bit for bit as one compiled at that rate', () => {
    const m = diabetes.build();
    const at1 = compileModel(m, { lr: 1 });
    expect(bits(fitModel(m, data, { ...cfg, lr: 0.3 }, { compiled: at1 }))).toEqual(bits(fitModel(diabetes.build(), data, { ...cfg, lr: 0.3 })));
  });

  it('a constant schedule gives the bits of the rate, step by step or in one call', () => {
    expect(bits(fitModel(diabetes.build(), data, { ...cfg, lr: () => 0.3 }))).toEqual(bits(fitModel(diabetes.build(), data, { ...cfg, lr: 0.3 })));
  });

  it('a schedule sets each step\'s rate: a rate of 0 from epoch 5 leaves the parameters where epoch 4 left them', () => {
    const stopped = fitModel(diabetes.build(), data, { ...cfg, lr: (e) => (e < 5 ? 1 : 0) });
    const five = fitModel(diabetes.build(), data, { ...cfg, epochs: 4, lr: 1 });
    expect([...stopped.params.get('W')]).toEqual([...five.params.get('W')]);
    expect(stopped.log.at(-1)!.cost).toBe(stopped.log[1].cost);
  });

  it('with minibatches, the step index counts every batch', () => {
    const seen: [number, number][] = [];
    fitModel(classifier.build(), data, { ...classifier.train, epochs: 2, logEvery: 1, batchSize: 256, lr: (e, s) => (seen.push([e, s]), 0.1) });
    // (the first asked is the rate compiled into the leaf, before training)
    expect(seen.slice(1)).toEqual([0, 1, 2].flatMap((e) => [0, 1, 2].map((j) => [e, 3 * e + j])));
  });

  it('a schedule that gives no finite number is refused by name', () => {
    expect(() => fitModel(diabetes.build(), data, { ...cfg, lr: (e) => (e === 3 ? NaN : 0.1) })).toThrow('the learning-rate schedule gave NaN at epoch 3, step 3: expected a number 0 or more that float32 holds');
  });

  it('a rate float32 cannot hold, a negative one or a string is refused, not trained on as Infinity, 0 or NaN', () => {
    for (const [lr, shown] of [[1e40, '1e+40'], [1e-50, '1e-50'], [-1, '-1'], ['0.1', "'0.1' (a string)"]] as const) {
      expect(() => fitModel(diabetes.build(), data, { ...cfg, lr: lr as number })).toThrow(`training lr must be a number 0 or more that float32 holds (up to 3.4e38; a positive one not below 1.4e-45), or a schedule, got ${shown}`);
    }
    expect(() => fitModel(diabetes.build(), data, { ...cfg, lr: () => 1e39 })).toThrow('the learning-rate schedule gave 1e+39 at epoch 0, step 0');
  });
});
