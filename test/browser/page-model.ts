/**
 * A model whose matmul does not fit, on purpose: bundled into a page (page.slow.test.ts) or a Node bundle
 * (test/ir/bundle-positions.slow.test.ts), the error must name this file and the line marked below, not the
 * bundle's. (The inner dimension is a plain number, so that TypeScript's shape check lets it through.)
 */
import { defineModel, input, param, zeros, sigmoid, binaryCrossEntropy } from 'graphc';

const rowsOfW: number = 3;

export default defineModel({
  name: 'mismatched',
  train: { epochs: 1, lr: 1, logEvery: 1, logAccuracy: false },
  build() {
    const x = input('x', ['N', 2]);
    const y = input('y', ['N', 1]);
    const W = param('W', [rowsOfW, 1], zeros());
    const h = sigmoid(x.matmul(W)); // MISMATCH: [N, 2] · [3, 1]
    return { loss: binaryCrossEntropy(h, y), predict: h };
  },
});

/** The data it is given: two rows of two features. */
export const data = { x: [[1, 2], [3, 4]], y: [0, 1] };
