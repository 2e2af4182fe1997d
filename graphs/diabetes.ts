/**
 * The seed's second model: logistic regression on the diabetes data (8 features scaled to [-1, 1]).
 * Tables 3 (manual cost) and 4 (`--option loss=bce`); the trained model's accuracy on the training set
 * is printed after training (the seed's 76.68%). Data: `--data data/data-03-diabetes.csv`.
 */
import { defineModel, input, param, zeros, sigmoid, log, sub, binaryCrossEntropy, accuracy } from 'graphc';

export default defineModel({
  name: 'diabetes',
  description: 'Logistic regression on the Pima Indians diabetes data (8 scaled features -> diabetic).',
  train: { epochs: 100, lr: 1, logEvery: 10, logAccuracy: false },
  options: { loss: ['manual', 'bce'] },
  build({ loss }) {
    const x = input('x', ['N', 8]);
    const y = input('y', ['N', 1]);
    const W = param('W', [8, 1], zeros());
    const b = param('b', [1], zeros());
    const h = sigmoid(x.matmul(W).add(b));
    const cost = loss === 'manual' ? y.mul(log(h)).add(sub(1, y).mul(log(sub(1, h)))).neg().mean() : binaryCrossEntropy(h, y);
    return { loss: cost, predict: h, accuracy: accuracy(h.ge(0.5), y) };
  },
});
