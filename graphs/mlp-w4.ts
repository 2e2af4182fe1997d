/**
 * The W4 benchmark MLP: 784 -> 256 (ReLU) -> 10, softmax cross-entropy, minibatches of 128, SGD lr 0.05,
 * weights ~ N(0, 0.05²), biases zero, one epoch over a synthetic set it makes itself (8,192 rows of
 * standard-normal features, labels uniform in 0..9; seeded).
 */
import { defineModel, input, param, normal, zeros, crossEntropy, multiclassAccuracy, FastRandom } from 'graphc';

export const ROWS = 8192;
export const FEATURES = 784;
export const CLASSES = 10;

/** The synthetic set: seeded, made at a few nanoseconds a value (not PyTorch's stream: no peer shares it). */
export function syntheticData(rows = ROWS, seed = 42) {
  const g = new FastRandom(seed);
  const x = g.normal(rows * FEATURES, 0, 1);
  const y = g.integers(rows, CLASSES);
  return { x, y, rows, features: FEATURES };
}

export default defineModel({
  name: 'mlp-w4',
  description: 'MLP 784 -> 256 (ReLU) -> 10 with softmax cross-entropy (the W4 benchmark workload).',
  seed: 0,
  data: () => syntheticData(),
  train: { epochs: 0, lr: 0.05, logEvery: 1, logAccuracy: true, batchSize: 128, shuffle: false },
  build() {
    const x = input('x', ['N', FEATURES]);
    const y = input('y', ['N']);
    const W1 = param('W1', [FEATURES, 256], normal(0, 0.05));
    const b1 = param('b1', [256], zeros());
    const W2 = param('W2', [256, CLASSES], normal(0, 0.05));
    const b2 = param('b2', [CLASSES], zeros());
    const z = x.matmul(W1).add(b1).relu().matmul(W2).add(b2);
    return { loss: crossEntropy(z, y), predict: z.softmax(1), accuracy: multiclassAccuracy(z, y) };
  },
});
