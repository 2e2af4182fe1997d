/**
 * Training an ONNX model specialised on its batch's shape, in the fast tier: a small model whose Reshape's
 * target is computed from Shape(x) (`test/support/specialized-model.ts`), trained by `train` in batches of
 * 4 over 14 rows (the last batch of 2, a shape of its own, as is the whole set the accuracy is measured on),
 * against the same SGD steps written out in float64 JavaScript. (`train-specialized.slow.test.ts` holds
 * the same against PyTorch, through the CLI too.) Its training step as ONNX: for any batch where the file
 * imports without the batch's size, run in onnxruntime-node at other batch sizes against a float64 step;
 * refused in one line where the file needs the size, or, asked for, the step of the size imported.
 */
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { attachLoss, importOnnx, OnnxSpecializeError, predict, train, trainedModel } from '../../index.ts';
import { exportModel } from '../../export/index.ts';
import { onnx } from '../../export/proto.ts';
import { compileModel } from '../../compiler/passes/compile.ts';
import { model } from '../fuzz/build.ts';
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

/** The training step's file run in onnxruntime-node: the rows, their targets, the parameters and the rate fed; the loss and each `<param>.next`. */
async function runStep(bytes: Uint8Array, x: number[][], y: number[], params: Readonly<Record<string, readonly number[]>>, lr: number) {
  const s = await ort.InferenceSession.create(bytes);
  const dims = Object.fromEntries(onnx.ModelProto.decode(bytes).graph!.input!.map((i) => [i.name!, i.type!.tensorType!.shape!.dim!.map((d) => Number(d.dimValue))]));
  const feeds: Record<string, ort.Tensor> = {
    x: new ort.Tensor('float32', Float32Array.from(x.flat()), [x.length, 4]),
    y: new ort.Tensor('float32', Float32Array.from(y), [y.length, 1]),
    'optimizer.lr': new ort.Tensor('float32', Float32Array.of(lr), dims['optimizer.lr']),
  };
  for (const [k, v] of Object.entries(params)) feeds[k] = new ort.Tensor('float32', Float32Array.from(v), dims[k]);
  const out = await s.run(feeds);
  return { loss: Number((out.loss.data as Float32Array)[0]), next: Object.fromEntries(Object.keys(params).map((k) => [k, Array.from(out[`${k}.next`].data as Float32Array)])) };
}

/** x [N, 4] → Gemm (a.w [4, 4], a.b) → Tanh → Gemm (b.w [4, 1], b.b) → Sigmoid: no shape computed from the batch. */
const MLP = model({
  opset: 13,
  inputs: [{ name: 'x', dims: ['N', 4] }],
  inits: [{ name: 'a.w', dims: [4, 4], floats: INITIAL['a.w'] as number[] }, { name: 'a.b', dims: [4], floats: INITIAL['a.b'] as number[] }, { name: 'b.w', dims: [4, 1], floats: [0.4, -0.3, 0.2, 0.5] }, { name: 'b.b', dims: [1], floats: [0.1] }],
  nodes: [
    { op: 'Gemm', inputs: ['x', 'a.w', 'a.b'], outputs: ['h'] },
    { op: 'Tanh', inputs: ['h'], outputs: ['k'] },
    { op: 'Gemm', inputs: ['k', 'b.w', 'b.b'], outputs: ['z'] },
    { op: 'Sigmoid', inputs: ['z'], outputs: ['p'] },
  ],
  outputs: ['p'],
});

/** One SGD step of the MLP on the mean BCE of rows `x`, in float64: the loss before it and the parameters after. */
function mlpStep(P: Readonly<Record<string, readonly number[]>>, x: number[][], y: number[], lr: number) {
  const G: Record<string, number[]> = Object.fromEntries(Object.entries(P).map(([k, v]) => [k, v.map(() => 0)]));
  let loss = 0;
  x.forEach((r, n) => {
    const k = [0, 1, 2, 3].map((o) => Math.tanh(P['a.b'][o] + r.reduce((s, v, i) => s + v * P['a.w'][i * 4 + o], 0)));
    const p = 1 / (1 + Math.exp(-(P['b.b'][0] + k.reduce((s, v, i) => s + v * P['b.w'][i], 0))));
    loss -= (y[n] * Math.log(p) + (1 - y[n]) * Math.log(1 - p)) / x.length;
    const dz = (p - y[n]) / x.length;
    G['b.b'][0] += dz;
    k.forEach((v, o) => {
      G['b.w'][o] += dz * v;
      const dh = dz * P['b.w'][o] * (1 - v * v);
      G['a.b'][o] += dh;
      r.forEach((xi, i) => (G['a.w'][i * 4 + o] += xi * dh));
    });
  });
  return { loss, next: Object.fromEntries(Object.entries(P).map(([k, v]) => [k, v.map((w, i) => w - lr * G[k][i])])) };
}

describe('the training step of a model specialised on its batch\'s shape, as ONNX', () => {
  it('a file that imports with a symbolic batch: the trained step for any batch, run in onnxruntime at 3 and 7 rows as a float64 step', async () => {
    const t = await train(attachLoss(await importOnnx(MLP, { shapes: { x: [BATCH, 4] } }), 'bce'), { data: { x: X, y: Y }, epochs: 2, lr: LR, batchSize: BATCH });
    const { compiled, params } = trainedModel(t);
    const bytes = exportModel(compiled, 'train', params.values);
    const x = onnx.ModelProto.decode(bytes).graph!.input!.find((i) => i.name === 'x')!;
    expect(x.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue))).toEqual(['N', 4]);
    for (const n of [3, 7]) {
      const got = await runStep(bytes, X.slice(0, n), Y.slice(0, n), t.params, 0.3);
      const want = mlpStep(t.params, X.slice(0, n), Y.slice(0, n), 0.3);
      within([got.loss], [want.loss], 2e-6, `loss at ${n} rows`);
      for (const k of Object.keys(want.next)) within(got.next[k], want.next[k], 2e-6, `${k}.next at ${n} rows`);
    }
  });

  it('a file that needs the batch\'s size: refused in one line naming the node; the step of the shape imported when asked for', async () => {
    const c = compileModel(attachLoss(await importOnnx(reshapeModel(), { shapes: { x: [BATCH, 4] } }), 'bce'), { lr: LR });
    expect(() => exportModel(c, 'train')).toThrow(
      /^exportModel: model \S+ has no training step for any batch: node 'n11' \(Reshape, opset 13\) needs the shape of input 'x' at import, so graphc imports it once per batch shape; write the trained model for inference \(the file it came from, any batch\), or pass \{ fixedShape: true \} for the step of \[4, 4\] alone$/,
    );
    const bytes = exportModel(c, 'train', undefined, { fixedShape: true });
    const x = onnx.ModelProto.decode(bytes).graph!.input!.find((i) => i.name === 'x')!;
    expect(x.type!.tensorType!.shape!.dim!.map((d) => Number(d.dimValue))).toEqual([BATCH, 4]);
    // one step from the initial values on the first 4 rows: the reference's epoch 0 of one batch
    const got = await runStep(bytes, X.slice(0, BATCH), Y.slice(0, BATCH), INITIAL, LR);
    const want = sgdReference(X.slice(0, BATCH), Y.slice(0, BATCH), BATCH, 0, LR);
    within([got.loss], want.costs, 2e-6, 'loss');
    for (const k of Object.keys(INITIAL)) within(got.next[k], want.params[k], 2e-6, `${k}.next`);
  });
});
