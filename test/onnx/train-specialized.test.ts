/**
 * Training an ONNX model specialised on its batch's shape, in the fast tier: a small model whose Reshape's
 * target is computed from Shape(x) (`test/support/specialized-model.ts`), trained by `train` in batches of
 * 4 over 14 rows (the last batch of 2, a shape of its own, as is the whole set the accuracy is measured on),
 * against the same SGD steps written out in float64 JavaScript. (`train-specialized.slow.test.ts` holds
 * the same against PyTorch, through the CLI too.)
 */
import { describe, expect, it } from 'vitest';
import { attachLoss, importOnnx, OnnxSpecializeError, predict, train } from '../../index.ts';
import { INITIAL, predictReference, reshapeModel, sgdReference } from '../support/specialized-model.ts';

const ROWS = 14, BATCH = 4, EPOCHS = 10, LR = 0.5;
const X = Array.from({ length: ROWS }, (_, n) => Array.from({ length: 4 }, (_, i) => Math.sin(0.7 * n + 1.9 * i + 0.3) * 1.5));
const Y = X.map((r, n) => (r[0] - 0.5 * r[3] + 0.3 * Math.cos(5 * n) > 0 ? 1 : 0));

const within = (got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string) => {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i]), `${what}[${i}]: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want[i])));
};

describe('training a model specialised on its batch\'s shape', () => {
  it('batches of 4 and a last of 2: per-epoch costs, parameters and accuracy as float64 SGD; predict at other batch sizes', async () => {
    const bytes = reshapeModel();
    await expect(importOnnx(bytes)).rejects.toBeInstanceOf(OnnxSpecializeError);
    const m = attachLoss(await importOnnx(bytes, { shapes: { x: [BATCH, 4] } }), 'bce');
    const t = await train(m, { data: { x: X, y: Y }, epochs: EPOCHS, lr: LR, logEvery: 1, batchSize: BATCH });
    const want = sgdReference(X, Y, BATCH, EPOCHS, LR);
    // the reference moves: its parameters are not the initial ones
    expect(Math.abs(want.params['c.w'][0] - INITIAL['c.w'][0])).toBeGreaterThan(0.05);
    expect(t.log.map((e) => e.epoch)).toEqual(want.costs.map((_, i) => i));
    within(t.log.map((e) => e.cost), want.costs, 2e-5, 'cost per epoch');
    expect(Object.keys(t.params).sort()).toEqual(Object.keys(INITIAL).sort());
    for (const [name, v] of Object.entries(want.params)) within(t.params[name], v, 2e-5, name);
    expect(t.accuracy).toBeCloseTo(want.accuracy, 6);
    for (const n of [1, 3, ROWS]) {
      const p = predict(t, { x: X.slice(0, n) });
      expect(p.shape).toEqual([n, 1]);
      within(p.data, predictReference(want.params, X.slice(0, n)), 2e-5, `predict batch ${n}`);
    }
  });
});
