/**
 * The seed's first model: logistic regression on the toy set (hours of lecture and lab → pass/fail),
 * with the cost written out by hand as the seed writes it (table 1), or with the BCE op (table 2:
 * `graphc train graphs/toy.ts --option loss=bce`).
 */
import { defineModel, input, param, zeros, sigmoid, log, sub, binaryCrossEntropy, accuracy } from 'graphc';

export default defineModel({
  name: 'toy',
  description: 'Logistic regression on the seed toy set: 6 students, hours of lecture and lab -> passed.',
  data: new URL('../data/toy.csv', import.meta.url),
  train: { epochs: 1000, lr: 1, logEvery: 100, logAccuracy: false },
  options: { loss: ['manual', 'bce'] },
  build({ loss }) {
    const x = input('x', ['N', 2]);
    const y = input('y', ['N', 1]);
    const W = param('W', [2, 1], zeros());
    const b = param('b', [1], zeros());
    const h = sigmoid(x.matmul(W).add(b));
    const cost = loss === 'manual' ? y.mul(log(h)).add(sub(1, y).mul(log(sub(1, h)))).neg().mean() : binaryCrossEntropy(h, y);
    return { loss: cost, predict: h, accuracy: accuracy(h.ge(0.5), y) };
  },
});
