/**
 * Softmax regression on the UCI zoo data (the lesson after the seed): 16 features, 7 classes, W and b
 * zero-initialized, cross-entropy on the class index, full-batch SGD.
 * Data: `--data data/data-04-zoo.csv` (the last column is the class, 0..6).
 */
import { defineModel, input, param, zeros, crossEntropy, multiclassAccuracy } from 'graphc';

export default defineModel({
  name: 'zoo-softmax',
  description: 'Softmax regression on the UCI zoo data: 16 animal features -> 7 classes.',
  train: { epochs: 1000, lr: 0.1, logEvery: 100, logAccuracy: true },
  build() {
    const x = input('x', ['N', 16]);
    const y = input('y', ['N']);
    const W = param('W', [16, 7], zeros());
    const b = param('b', [7], zeros());
    const z = x.matmul(W).add(b);
    return { loss: crossEntropy(z, y), predict: z.softmax(1), accuracy: multiclassAccuracy(z, y) };
  },
});
