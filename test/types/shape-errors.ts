/**
 * Shape errors the type checker must catch. Each `@ts-expect-error` line must be an error (TypeScript
 * reports an unused directive otherwise), and types.test.ts checks that each error names both shapes.
 * The lines without the directive must type-check and have the stated result types.
 */
import { input, param, zeros, sigmoid, sub, add, binaryCrossEntropy, Linear, type Tensor } from 'graphc';

export function cases() {
  const x = input('x', ['N', 2]);
  const y = input('y', ['N', 1]);
  const W = param('W', [2, 1], zeros());
  const W3 = param('W3', [3, 1], zeros());
  const b = param('b', [1], zeros());
  const v = param('v', [3], zeros());
  const M = param('M', [3, 4], zeros());
  const P = param('P', [5, 1], zeros());

  // valid: [N, 2] · [2, 1] → [N, 1]; + [1] broadcasts; [N, 1] + [3] → [N, 3]
  const z: Tensor<['N', 1]> = x.matmul(W).add(b);
  const wide: Tensor<['N', 3]> = z.add(v);
  const h: Tensor<['N', 1]> = sigmoid(z);
  const one: Tensor<['N', 1]> = sub(1, y);
  const cost: Tensor<[]> = binaryCrossEntropy(h, y);

  // @ts-expect-error matmul inner dimensions differ: [N, 2] · [3, 1]
  x.matmul(W3);
  // @ts-expect-error add does not broadcast: [N, 2] with [3]
  x.add(v);
  // @ts-expect-error mul does not broadcast: [2, 1] with [3, 4]
  W.mul(M);
  // @ts-expect-error free-function add does not broadcast: [3] with [N, 2]
  add(v, x);
  // @ts-expect-error a symbolic dim meets only itself or 1: [N, 1] with [5, 1]
  y.sub(P);
  // @ts-expect-error a matmul result has the wrong static type: [N, 1] is not [N, 2]
  const wrong: Tensor<['N', 2]> = x.matmul(W);
  // @ts-expect-error Linear(8, 1) takes 8 features, x has 2
  new Linear(8, 1).forward(x);

  return { z, h, one, cost, wrong, wide };
}
