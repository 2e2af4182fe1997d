/**
 * Steps whose loss nobody reads run the train step without its loss output (`Trainer.update`). They must
 * leave the parameters exactly where steps with the loss leave them, and the graph they run must not
 * hold the loss's own work.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import toy from '../../graphs/toy.ts';
import diabetes from '../../graphs/diabetes.ts';
import zoo from '../../graphs/zoo-softmax.ts';
import mlp, { syntheticData } from '../../graphs/mlp-w4.ts';
import { fitModel as fit } from '../../runtime/train.ts';
import { parseCsv, type Dataset } from '../../runtime/data.ts';
import { compileModel } from '../../compiler/passes/compile.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import type { Model } from '../../compiler/dsl/model.ts';
import { Dropout, Linear, crossEntropy, defineModel, input } from '../../compiler/index.ts';
import { randoms } from '../support/run.ts';

const toyData = parseCsv(readFileSync(fileURLToPath(toy.spec.data as URL), 'utf8'));

/** Trains twice, computing the cost every epoch and only every `logEvery` epochs: same parameters, bit for bit. */
function sameParams(model: Model, data: Dataset, epochs: number, extra: object = {}, logEvery = 7) {
  const cfg = { ...model.train, epochs, ...extra };
  const every = fit(model.build(), data, cfg, { costEveryEpoch: true });
  const sparse = fit(model.build(), data, { ...cfg, logEvery });
  expect(sparse.log.map((e) => e.epoch)).toEqual(Array.from({ length: Math.floor(epochs / logEvery) + 1 }, (_, i) => i * logEvery).concat(epochs % logEvery ? [epochs] : []));
  for (const [name, v] of every.params.values) {
    const w = sparse.params.get(name);
    for (let i = 0; i < v.length; i++) if (!Object.is(v[i], w[i])) expect.fail(`${name}[${i}]: ${v[i]} vs ${w[i]}`);
  }
  // the epochs both logged have the same cost
  for (const e of sparse.log) expect(every.log.find((f) => f.epoch === e.epoch)?.cost ?? e.cost).toBe(e.cost);
}

describe('steps without the loss', () => {
  it('full batch (the seed toy model, BCE fused): the same parameters as steps that compute it', () => sameParams(toy, toyData, 200));

  // 300 rows of 8 features: the step is a row region and its plans run as one WebAssembly call, so the
  // loop runs its epochs in training cycles (Trainer.cycles); with cycles too long for one call (a
  // logged epoch every 100,000), the steps between logged epochs run in calls split by time (a small
  // learning rate, so that the parameters still move at the end)
  const logistic = { x: Float32Array.from(randoms(300 * 8, 5, -1, 1)), y: Float32Array.from(randoms(300, 6, 0, 1), (v) => (v > 0.5 ? 1 : 0)), rows: 300, features: 8 };
  it('full batch in training cycles (a logistic regression of 300 rows): the same parameters and costs', () => sameParams(diabetes, logistic, 64));
  it('full batch, cycles longer than a call: the same parameters and costs', () => sameParams(diabetes, logistic, 120000, { lr: 1e-4 }, 100000));

  it('minibatches (W4 MLP, softmax cross-entropy, on the SIMD kernels): the same parameters', () => {
    const d = syntheticData(1000);
    sameParams(mlp, d, 3, { batchSize: 128, logAccuracy: false });
  });

  it('softmax regression on class indices: the same parameters', () => {
    const n = 101;
    const x = Float32Array.from(randoms(n * 16, 3, 0, 1));
    const y = Float32Array.from(randoms(n, 4, 0, 7), Math.floor);
    sameParams(zoo, { x, y, rows: n, features: 16 }, 30, { logAccuracy: false });
  });

  // a dropout's mask stream is its node's: the step with the loss and the one without, full and last
  // batches, all draw from it in turn, so the masks are those of steps that all compute the loss
  it('minibatches through a dropout, the last batch shorter: the same parameters', () => {
    const dropped = defineModel({
      name: 'dropped',
      train: { epochs: 6, lr: 0.1, logEvery: 1, logAccuracy: false, batchSize: 16, shuffle: true, optimizer: { kind: 'sgd', momentum: 0.9 } },
      build() {
        const x = input('x', ['N', 6]), y = input('y', ['N']);
        const z = new Linear(8, 3, 'l2').forward(new Dropout(0.5).forward(new Linear(6, 8, 'l1').forward(x).relu()));
        return { loss: crossEntropy(z, y), predict: z };
      },
    });
    const n = 41;
    sameParams(dropped, { x: Float32Array.from(randoms(n * 6, 7, -1, 1)), y: Float32Array.from(randoms(n, 8, 0, 3), Math.floor), rows: n, features: 6 }, 6, {}, 4);
  });

  it("the loss-free graph holds none of the loss's own ops", () => {
    const step = compileModel(toy.build({ loss: 'bce' }), { lr: 1 }).trainStep;
    const quiet = new Graph(step.outputs.filter((o) => o.name !== 'loss'));
    const ops = (g: Graph) => g.nodes.map((n) => n.op);
    expect(ops(step).some((o) => o.startsWith('BCEWithLogits'))).toBe(true);
    expect(ops(quiet).some((o) => o.startsWith('BCEWithLogits'))).toBe(false);
    expect(quiet.opCount).toBeLessThan(step.opCount);
  });
});
