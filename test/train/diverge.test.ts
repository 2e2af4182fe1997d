/**
 * A training that diverges (a cost NaN or infinite) stops at the first such cost and says where, and its
 * parameters are refused by predict and exportOnnx: no silent NaN model. The toy model at lr 3e38 (which
 * float32 holds) overflows its first update; the breast-cancer model's written-out loss without fusion is
 * NaN before any update (0·log 0, as in PyTorch). The seed's tables, which never diverge, are held in
 * test/seed/ and test/api.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { train, predict, exportOnnx, defineModel, input, param, ones, mse } from '../../index.ts';
import toy from '../../graphs/toy.ts';
import diabetes from '../../graphs/diabetes.ts';
import breastCancer from '../../graphs/breast-cancer.ts';
import { dataFile, diabetesCsv, table1 } from '../support/seed.ts';

const toyCsv = readFileSync(dataFile('toy.csv'), 'utf8');
const line = defineModel({
  name: 'line',
  train: { epochs: 0, lr: 1, logEvery: 1, logAccuracy: false },
  build() {
    const x = input('x', ['N', 1]);
    const y = input('y', ['N', 1]);
    const p = x.matmul(param('w', [1, 1], ones()));
    return { loss: mse(p, y), predict: p };
  },
});

describe('a diverged training', () => {
  it('stops at the first logged epoch whose cost is not finite, and says so', async () => {
    const seen: number[] = [];
    const t = await train(toy, { data: toyCsv, lr: 3e38, epochs: 5, logEvery: 1, onLog: (e) => seen.push(e.epoch) });
    expect(t.log.map((e) => e.epoch)).toEqual([0, 1]);
    expect(seen).toEqual([0, 1]);
    expect(t.log[0].cost).toBeCloseTo(table1[0], 6);
    expect(t.log[1].cost).toBeNaN();
    expect(t.diverged).toMatchObject({ epoch: 1, lastFinite: 0, initial: false });
    expect(t.diverged!.cost).toBeNaN();
    expect(t.diverged!.params).toEqual([]); // the logits overflow the loss, not (yet) the parameters
    expect(t.accuracy).toBeUndefined();
  });

  it('stops in training steps run several to a call (the cost every 100 epochs)', async () => {
    const t = await train(toy, { data: toyCsv, lr: 3e38 });
    expect(t.log.map((e) => e.epoch)).toEqual([0, 100]);
    expect(t.diverged).toMatchObject({ epoch: 100, lastFinite: 0, initial: false });
  });

  it('stops with minibatches (an epoch\'s cost is its batches\' mean)', async () => {
    const t = await train(diabetes, { data: readFileSync(diabetesCsv, 'utf8'), lr: 3e38, batchSize: 64, epochs: 10, logEvery: 1, options: { loss: 'manual' }, fuse: false });
    expect(t.diverged).toBeDefined();
    expect(t.log.at(-1)!.epoch).toBe(t.diverged!.epoch);
    expect(Number.isFinite(t.log.at(-1)!.cost)).toBe(false);
    expect(t.diverged!.initial).toBe(false); // epoch 0's mean cost follows updates
  });

  it('a parameter not finite after the last update, every cost finite, is a divergence too', async () => {
    // (x·w − y)² = 1e38 at w = 1, its gradient 2e38, and w − 10·2e38 is −Infinity in float32
    const t = await train(line, { data: { x: [[1e19]], y: [0] }, lr: 10, epochs: 0 });
    expect(t.log[0].cost).toBeCloseTo(1e38, -33);
    expect(t.params.w[0]).toBe(-Infinity);
    expect(t.diverged).toMatchObject({ epoch: 0, cost: t.log[0].cost, initial: false, params: ['w'] });
    expect(() => predict(t, { x: [[1]] })).toThrow('predict: training line diverged: a parameter is not finite after the last update (epoch 0: w); train it again with a smaller lr');
  });

  it('the unfused written-out BCE on large logits: NaN at epoch 0, before any update', async () => {
    const data = readFileSync(dataFile('breast-cancer.csv'), 'utf8');
    const t = await train(breastCancer, { data, options: { loss: 'manual' }, fuse: false });
    expect(t.log).toHaveLength(1);
    expect(t.diverged).toMatchObject({ epoch: 0, initial: true });
    expect(t.diverged!.lastFinite).toBeUndefined();
  });

  it('predict and exportOnnx refuse its parameters, naming the epoch', async () => {
    const t = await train(toy, { data: toyCsv, lr: 3e38, epochs: 3, logEvery: 1 });
    expect(() => predict(t, { x: [[1, 2]] })).toThrow('predict: training toy diverged: the cost is NaN at epoch 1 (finite at epoch 0); train it again with a smaller lr');
    await expect(exportOnnx(t)).rejects.toThrow('exportOnnx: training toy diverged: the cost is NaN at epoch 1');
  });

  it('a training that does not diverge says nothing of it', async () => {
    const t = await train(toy, { data: toyCsv });
    expect(t.diverged).toBeUndefined();
    expect('diverged' in t).toBe(false); // the --json document keeps its keys
  });
});
