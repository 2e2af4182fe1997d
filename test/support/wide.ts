/**
 * A logistic regression over 20,000 rows of 8 features: large enough that its row kernels split between
 * two threads (ROW_SPLIT_MIN_ROWS rows and more). Trained with one thread and with two, in Node
 * (test/api-options.test.ts) and in a browser page (test/browser/page.ts, which bundles this file): it
 * imports only 'graphc', as a user's model does.
 */
import { defineModel, input, param, zeros, sigmoid, binaryCrossEntropy } from 'graphc';

export const wide = defineModel({
  name: 'wide',
  train: { epochs: 40, lr: 0.5, logEvery: 10, logAccuracy: false },
  build() {
    const x = input('x', ['N', 8]);
    const y = input('y', ['N', 1]);
    const h = sigmoid(x.matmul(param('W', [8, 1], zeros())).add(param('b', [1], zeros())));
    return { loss: binaryCrossEntropy(h, y), predict: h };
  },
});

/** Its data: features from a sine, the label whether features 0 and 3 sum above 0. */
export function wideData(N = 20000): { x: Float32Array; y: Float32Array } {
  const x = Float32Array.from({ length: N * 8 }, (_, i) => Math.sin(i * 0.37) * 2);
  const y = Float32Array.from({ length: N }, (_, r) => (x[r * 8] + x[r * 8 + 3] > 0 ? 1 : 0));
  return { x, y };
}
