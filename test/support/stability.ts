/** The stability tests' model and data: logits of ±1e4 (test/passes/stability*.test.ts). */
import { defineModel, input, param, values, binaryCrossEntropy, log, sub } from '../../compiler/index.ts';

export const xs = [1e4, -1e4, 5e3, -3, 0, 2, -7e3, 9e3];
export const ys = [0, 1, 1, 0, 1, 1, 0, 0];
export const W0 = 1.5, b0 = 0.25;

export const model = (form: 'bce' | 'manual') =>
  defineModel({
    name: `stability-${form}`,
    build() {
      const x = input('x', ['N', 1]);
      const y = input('y', ['N', 1]);
      const W = param('W', [1, 1], values([W0]));
      const b = param('b', [1], values([b0]));
      const h = x.matmul(W).add(b).sigmoid();
      const loss = form === 'bce' ? binaryCrossEntropy(h, y) : y.mul(log(h)).add(sub(1, y).mul(log(sub(1, h)))).neg().mean();
      return { loss, predict: h };
    },
  });

export const feeds = { x: { data: xs, shape: [xs.length, 1] }, y: { data: ys, shape: [ys.length, 1] } };
export const lr = 1;
