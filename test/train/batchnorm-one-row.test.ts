/**
 * Batch normalization in training mode over one value a channel: its variance over one row is 0 and the
 * running variance's unbiased estimate divides by M − 1 = 0, so the running statistics become NaN and the
 * model is lost. PyTorch refuses such a batch ("Expected more than 1 value per channel when training");
 * graphc refuses it before training, naming the layer and the batch, where it said the training diverged
 * and advised a smaller learning rate.
 */
import { describe, expect, it } from 'vitest';
import { BatchNorm1d, BatchNorm2d, binaryCrossEntropy, defineModel, input, Linear, relu, sigmoid, train } from '../../index.ts';

const mlp = defineModel({
  name: 'bn',
  train: { epochs: 2, lr: 0.1 },
  build() {
    const x = input('x', ['N', 2]), y = input('y', ['N', 1]);
    const l1 = new Linear(2, 3, 'l1'), bn = new BatchNorm1d(3, {}, 'bn'), l2 = new Linear(3, 1, 'l2');
    const h = sigmoid(l2.forward(relu(bn.forward(l1.forward(x)))));
    return { loss: binaryCrossEntropy(h, y), predict: h };
  },
});
const x = [[1, 2], [2, 3], [3, 1], [4, 3], [5, 3]];
const y = [0, 0, 0, 1, 1];
const at = String.raw`batchnorm-one-row\.test\.ts:\d+: `;

describe('batch normalization over a batch of one row', () => {
  it('the last minibatch holds one row (5 rows at batch size 2): refused before training, naming the layer', async () => {
    await expect(train(mlp, { data: { x, y }, batchSize: 2 })).rejects.toThrow(
      new RegExp(`^.*${at}model bn\\.train: the batch normalization here gets 1 value a channel from the last minibatch \\(5 rows at batch size 2\\): training needs more than 1, as PyTorch's does; choose a batch size that leaves no minibatch of 1 row$`),
    );
  });
  it('minibatches of one row, and data of one row', async () => {
    await expect(train(mlp, { data: { x, y }, batchSize: 1 })).rejects.toThrow(/gets 1 value a channel from each minibatch \(batch size 1\)/);
    await expect(train(mlp, { data: { x: [[1, 2]], y: [1] } })).rejects.toThrow(/gets 1 value a channel from the data \(1 row\): training needs more than 1, as PyTorch's does; give it more rows$/);
  });
  it('more than one value a channel trains: batches of 2 and more, or one row of an image (its pixels)', async () => {
    const r = await train(mlp, { data: { x: x.slice(0, 4), y: y.slice(0, 4) }, batchSize: 2 });
    expect(r.diverged).toBeUndefined();
    expect(r.params['bn.running_var'].every(Number.isFinite)).toBe(true);
    const conv = defineModel({
      name: 'bn2d',
      train: { epochs: 1, lr: 0.1 },
      build() {
        const xi = input('x', ['N', 1, 2, 2]), yi = input('y', ['N', 1]);
        const bn = new BatchNorm2d(1, {}, 'bn');
        const h = sigmoid(bn.forward(xi).flatten(1).sum(1, true));
        return { loss: binaryCrossEntropy(h, yi), predict: h };
      },
    });
    const img = await train(conv, { data: { x: [[1, 2, 3, 4], [4, 3, 2, 2], [0, 1, 0, 1]], y: [0, 1, 1] }, batchSize: 1 });
    expect(img.diverged).toBeUndefined();
  });
});
