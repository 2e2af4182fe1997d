/**
 * XOR with a two-layer perceptron (the lesson's `nn.Sequential(Linear(2, 2), Sigmoid, Linear(2, 1),
 * Sigmoid)` after `torch.manual_seed(777)`), BCE, SGD lr 1. Built-in data: the four XOR rows.
 */
import { defineModel, input, Linear, binaryCrossEntropy, accuracy } from 'graphc';

export default defineModel({
  name: 'xor-mlp',
  description: 'XOR: Linear(2, 2) + Sigmoid + Linear(2, 1) + Sigmoid.',
  seed: 777,
  data: { x: [[0, 0], [0, 1], [1, 0], [1, 1]], y: [[0], [1], [1], [0]] },
  train: { epochs: 10000, lr: 1, logEvery: 1000, logAccuracy: true },
  build() {
    const layer1 = new Linear(2, 2, 'layer1');
    const layer2 = new Linear(2, 1, 'layer2');
    const x = input('x', ['N', 2]);
    const y = input('y', ['N', 1]);
    const h = layer2.forward(layer1.forward(x).sigmoid()).sigmoid();
    return { loss: binaryCrossEntropy(h, y), predict: h, accuracy: accuracy(h.ge(0.5), y) };
  },
});
