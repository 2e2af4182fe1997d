/**
 * A small convolutional network on the UCI handwritten digits (8×8 images, 64 pixels 0..16 row-major,
 * then the digit 0..9): Conv2d(1, 8, 3, padding 1) → ReLU → MaxPool2d(2) → Conv2d(8, 16, 3, padding 1)
 * → BatchNorm2d(16) → ReLU → MaxPool2d(2) → Flatten → Linear(64, 10), softmax cross-entropy, Adam on shuffled minibatches
 * of 64 in DataLoader(shuffle=True)'s order after manual_seed(0). The last 20% of the rows are held out.
 * Data: `--data data/digits.csv`; each row fills one [1, 8, 8] image of x.
 */
import { defineModel, input, Conv2d, BatchNorm2d, MaxPool2d, Flatten, Linear, crossEntropy, multiclassAccuracy } from 'graphc';

export default defineModel({
  name: 'digits-cnn',
  description: 'CNN on the 8x8 UCI digits: two 3x3 convolutions (the second batch-normalized) with max pooling, then Linear(64, 10).',
  seed: 0,
  data: new URL('../data/digits.csv', import.meta.url),
  train: { epochs: 9, lr: 0.01, logEvery: 1, logAccuracy: true, batchSize: 64, shuffle: true, holdout: 0.2, optimizer: { kind: 'adam' } },
  build() {
    const conv1 = new Conv2d(1, 8, 3, { padding: 1 }, 'conv1');
    const pool = new MaxPool2d(2);
    const conv2 = new Conv2d(8, 16, 3, { padding: 1 }, 'conv2');
    const bn = new BatchNorm2d(16, {}, 'bn2');
    const flatten = new Flatten();
    const fc = new Linear(64, 10, 'fc');
    const x = input('x', ['N', 1, 8, 8]);
    const y = input('y', ['N']);
    const h1 = pool.forward(conv1.forward(x).relu());
    const h2 = pool.forward(bn.forward(conv2.forward(h1)).relu());
    const z = fc.forward(flatten.forward(h2));
    return { loss: crossEntropy(z, y), predict: z.softmax(1), accuracy: multiclassAccuracy(z, y) };
  },
});
