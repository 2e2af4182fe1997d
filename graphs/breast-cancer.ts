/**
 * Logistic regression on the raw breast-cancer features (30 unscaled values, up to about 4,000): the
 * logits run into the hundreds from the first step, where σ(z) rounds to exactly 0 or 1 in float32 and a
 * BCE written out as log(σ(z)) takes log(0). graphc fuses sigmoid + BCE into BCE-with-logits (the loss
 * PyTorch's `BCEWithLogitsLoss` computes), so the costs stay finite; `graphc compile --explain` shows the
 * rewrite and why. `--option loss=manual` writes the loss out by hand, which the fusion also recognizes;
 * with `--no-fuse` that loss is infinite or NaN, as it is in PyTorch, and training stops there, diverged.
 * `Linear(30, 1)` starts where PyTorch's does after `torch.manual_seed(0)`; Adam (lr 0.01) copes with the
 * unscaled features where plain SGD crawls. Data: `--data data/breast-cancer.csv`.
 */
import { defineModel, input, Linear, binaryCrossEntropy, accuracy, log, sub } from 'graphc';

export default defineModel({
  name: 'breast-cancer',
  description: 'Logistic regression on 30 raw breast-cancer features (malignant 0 / benign 1): large logits, a fused stable loss.',
  seed: 0,
  train: { epochs: 200, lr: 0.01, logEvery: 20, logAccuracy: false, optimizer: { kind: 'adam' } },
  options: { loss: ['bce', 'manual'] },
  build({ loss }) {
    const linear = new Linear(30, 1);
    const x = input('x', ['N', 30]);
    const y = input('y', ['N', 1]);
    const h = linear.forward(x).sigmoid();
    const cost = loss === 'bce' ? binaryCrossEntropy(h, y) : y.mul(log(h)).add(sub(1, y).mul(log(sub(1, h)))).neg().mean();
    return { loss: cost, predict: h, accuracy: accuracy(h.ge(0.5), y) };
  },
});
