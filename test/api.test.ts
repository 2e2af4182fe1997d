/**
 * The package's entry (index.ts) used as a program would: train, predict and export, against the seed's
 * tables (PyTorch's printed costs), a closed-form prediction from the trained parameters, and the exported
 * bytes imported back (onnxruntime runs them in api-onnx.slow.test.ts). The README's example runs here on
 * the sources, and from the packed tarball as written in test/cli/pack.test.ts.
 */
import { describe, expect, it, vi } from 'vitest';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { type Trained, train, predict, exportOnnx, importOnnx, attachLoss, defineModel, input, param, zeros, sigmoid, binaryCrossEntropy, accuracy } from '../index.ts';
import toy from '../graphs/toy.ts';
import classifier from '../graphs/binary-classifier.ts';
import { TOL, table1, table2, table5, toyTrained, diabetesCsv } from './support/seed.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const toyCsv = readFileSync(fileURLToPath(toy.spec.data as URL), 'utf8');
const near = (a: number[], b: number[]) => {
  expect(a).toHaveLength(b.length);
  a.forEach((x, i) => expect(Math.abs(x - b[i]), `entry ${i}: ${x} vs ${b[i]}`).toBeLessThanOrEqual(TOL));
};

describe('train()', () => {
  it('trains the toy model from CSV text to the seed\'s table 1 and PyTorch\'s parameters', async () => {
    const t = await train(toy, { data: toyCsv });
    near(t.log.map((e) => e.cost), table1);
    t.params.W.forEach((w, i) => expect(w).toBeCloseTo(toyTrained.W[i], 4));
    expect(t.params.b[0]).toBeCloseTo(toyTrained.b[0], 4);
    // the --json document: these keys, in this order, and JSON-clean
    expect(Object.keys(t)).toEqual(['model', 'options', 'data', 'config', 'log', 'params', 'accuracy', 'seconds']);
    expect(t.data).toEqual({ source: '<csv>', rows: 6, features: 2 });
    expect(t.config).toEqual({ epochs: 1000, lr: 1, logEvery: 100, batchSize: null, shuffle: false, holdout: 0, optimizer: { kind: 'sgd' } });
  });

  it('its config says what it trained with: minibatches, shuffling, hold-out and optimizer as given', async () => {
    const t = await train(toy, { data: toyCsv, epochs: 2, batchSize: 2, shuffle: true, holdout: 0.5, optimizer: { kind: 'adam', betas: [0.8, 0.9] } });
    expect(t.config).toEqual({ epochs: 2, lr: 1, logEvery: 100, batchSize: 2, shuffle: true, holdout: 0.5, optimizer: { kind: 'adam', betas: [0.8, 0.9] } });
  });

  it('takes rows of numbers, the model\'s variants and overrides, and reports each logged epoch', async () => {
    const rows = toyCsv.split('\n').filter((l) => /^\d/.test(l)).map((l) => l.split(',').map(Number));
    const seen: number[] = [];
    const t = await train(toy, { data: { x: rows.map((r) => r.slice(0, 2)), y: rows.map((r) => r[2]) }, options: { loss: 'bce' }, onLog: (e) => seen.push(e.epoch) });
    near(t.log.map((e) => e.cost), table2);
    expect(seen).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    const short = await train(toy, { data: toyCsv, epochs: 10, logEvery: 5 });
    expect(short.log.map((e) => e.epoch)).toEqual([0, 5, 10]);
  });

  it('table 5 (Linear + sigmoid after manual_seed(1)) from a flat Float32Array with its shape', async () => {
    const lines = readFileSync(diabetesCsv, 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#')).map((l) => l.split(',').map(Number));
    const x = Float32Array.from(lines.flatMap((r) => r.slice(0, 8)));
    const t = await train(classifier, { data: { x, shape: [lines.length, 8], y: lines.map((r) => r[8]) } });
    near(t.log.map((e) => e.cost), table5.cost);
    expect(t.log.map((e) => +(e.accuracy! * 100).toFixed(2))).toEqual(table5.accuracy);
  });

  it('inputs of any rank: x [N, 2, 3] summed over its second axis', async () => {
    const m = defineModel({
      name: 'rank3',
      train: { epochs: 20, lr: 0.5, logEvery: 10, logAccuracy: false },
      build() {
        const x = input('x', ['N', 2, 3]);
        const y = input('y', ['N', 1]);
        const W = param('W', [3, 1], zeros());
        const s = x.sum(1).matmul(W); // [N, 1]
        return { loss: binaryCrossEntropy(sigmoid(s), y), predict: sigmoid(s) };
      },
    });
    const x = Float32Array.from({ length: 4 * 6 }, (_, i) => ((i * 7) % 5) - 2);
    const t = await train(m, { data: { x, shape: [4, 2, 3], y: [0, 1, 1, 0] } });
    // the first cost is ln 2 (W = 0), whatever the data
    expect(t.log[0].cost).toBeCloseTo(Math.LN2, 6);
    expect(predict(t, { x: x.subarray(0, 6), shape: [1, 2, 3] }).shape).toEqual([1, 1]);
    await expect(train(m, { data: { x, shape: [4, 6], y: [0, 1, 1, 0] } })).rejects.toThrow(/rows of shape \[6\], but the input x \[N, 2, 3\] .*takes rows of shape \[2, 3\]/);
  });

  it('refuses data that does not fit, in one sentence', async () => {
    await expect(train(toy, { data: { x: [[1, 2], [3]], y: [0, 1] } })).rejects.toThrow(/row 2 of x holds 1 values/);
    await expect(train(toy, { data: { x: [[1, 2]], y: [0, 1] } })).rejects.toThrow(/1 row\(s\) of x but 2 target/);
    await expect(train(toy)).rejects.toThrow(/give train\(\) the data/);
  });
});

describe('predict() and exportOnnx()', () => {
  it('predict is sigmoid(xW + b) with the trained parameters', async () => {
    const t = await train(toy, { data: toyCsv });
    const xs = [[4, 2], [1, 1], [6, 3]];
    const p = predict(t, { x: xs });
    expect(p.shape).toEqual([3, 1]);
    xs.forEach((r, i) => expect(p.data[i]).toBeCloseTo(1 / (1 + Math.exp(-(r[0] * t.params.W[0] + r[1] * t.params.W[1] + t.params.b[0]))), 6));
  });

  it('exportOnnx gives an ONNX model that imports back with its trained parameters', async () => {
    const t = await train(toy, { data: toyCsv });
    const bytes = await exportOnnx(t);
    const again = await train(attachLoss(await importOnnx(bytes), 'bce'), { data: toyCsv, epochs: 0, logEvery: 1 });
    // the trained parameters are in the bytes: the imported model's first cost is the BCE of the trained
    // model, computed here in float64 from the parameters train() returned
    const rows = toyCsv.split('\n').filter((l) => /^\d/.test(l)).map((l) => l.split(',').map(Number));
    const { W, b } = t.params;
    const bce = rows.reduce((s, [x0, x1, y]) => {
      const h = 1 / (1 + Math.exp(-(x0 * W[0] + x1 * W[1] + b[0])));
      return s - (y * Math.log(h) + (1 - y) * Math.log(1 - h));
    }, 0) / rows.length;
    expect(again.log[0].cost).toBeCloseTo(bce, 6);
  });

  it('refuses what train() did not return', () => {
    expect(() => predict({ model: 'toy' } as unknown as Trained, { x: [[1, 2]] })).toThrow(/expected the result of train\(\)/);
  });
});

describe('README', () => {
  it('its "Use it from code" example runs and prints the seed\'s costs', async () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const code = /## Use it from code[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)![1];
    const file = join(root, `.readme-api-${process.pid}.mts`);
    writeFileSync(file, code.replace("from 'graphc'", `from ${JSON.stringify(join(root, 'index.ts'))}`));
    const out: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    try {
      await import(/* @vite-ignore */ file);
    } finally {
      spy.mockRestore();
      rmSync(file, { force: true });
    }
    expect(out.slice(0, 3)).toEqual([`Epoch 0 Cost: ${table1[0].toFixed(6)}`, `Epoch 500 Cost: ${table1[5].toFixed(6)}`, `Epoch 1000 Cost: ${table1[10].toFixed(6)}`]);
    expect(out[3]).toMatch(/^P\(pass \| 4 h, 2 h\) = 0\.\d{4}$/);
    expect(out[4]).toMatch(/^\d+ bytes of ONNX$/);
  });
});
