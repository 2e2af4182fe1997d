/**
 * The seed's `nn.Module` model: `Linear(8, 1)` + sigmoid, created right after `torch.manual_seed(1)`, so
 * its parameters start exactly where PyTorch's do. Cost and accuracy every 10 epochs (table 5).
 * Data: `--data data/data-03-diabetes.csv`.
 */
import { defineModel, input, Linear, binaryCrossEntropy, accuracy } from 'graphc';

export default defineModel({
  name: 'binary-classifier',
  description: 'BinaryClassifier: Linear(8, 1) + Sigmoid on the diabetes data, PyTorch default init after manual_seed(1).',
  seed: 1,
  train: { epochs: 100, lr: 1, logEvery: 10, logAccuracy: true },
  build() {
    const linear = new Linear(8, 1);
    const x = input('x', ['N', 8]);
    const y = input('y', ['N', 1]);
    const hypothesis = linear.forward(x).sigmoid();
    const cost = binaryCrossEntropy(hypothesis, y);
    return { loss: cost, predict: hypothesis, accuracy: accuracy(hypothesis.ge(0.5), y) };
  },
});
