/**
 * Data of any rank: rows of F values (CSV columns, rows of numbers, a flat Float32Array) fill a model's
 * input x [N, ...] row by row, row-major, wherever the input's dims after the first multiply to F; a
 * count that does not fit is one sentence naming the data, the input and the count it takes.
 */
import { describe, expect, it } from 'vitest';
import { defineModel, input, param, zeros, crossEntropy, multiclassAccuracy, train, predict, Conv2d } from '../../index.ts';

/** x [N, 1, 2, 3] through a 2×2 convolution (its output [N, 2, 1, 2], flattened) to three classes. */
const model = defineModel({
  name: 'tiny-conv',
  seed: 5,
  train: { epochs: 3, lr: 0.1, logEvery: 1, logAccuracy: false, batchSize: 2, shuffle: true },
  build() {
    const conv = new Conv2d(1, 2, 2);
    const x = input('x', ['N', 1, 2, 3]);
    const y = input('y', ['N']);
    const z = conv.forward(x).relu().flatten(1).matmul(param('W', [4, 3], zeros()));
    return { loss: crossEntropy(z, y), predict: z, accuracy: multiclassAccuracy(z, y) };
  },
});

const rows = [[1, 0, 2, 3, 1, 0], [0, 1, 1, 2, 0, 3], [2, 2, 0, 1, 1, 1], [3, 0, 1, 0, 2, 1], [1, 1, 1, 0, 0, 2]];
const labels = [0, 1, 2, 1, 0];
const csv = rows.map((r, i) => [...r, labels[i]].join(',')).join('\n') + '\n';

describe('data of any rank', () => {
  it('CSV rows, rows of numbers and a flat Float32Array train the same', async () => {
    const fromCsv = await train(model, { data: csv, source: 'tiny.csv' });
    const fromRows = await train(model, { data: { x: rows, y: labels } });
    const fromFlat = await train(model, { data: { x: Float32Array.from(rows.flat()), y: labels } });
    const shaped = await train(model, { data: { x: Float32Array.from(rows.flat()), shape: [5, 1, 2, 3], y: labels } });
    expect(fromCsv.log.length).toBe(4);
    for (const t of [fromRows, fromFlat, shaped]) {
      expect(t.log).toEqual(fromCsv.log);
      expect(t.params).toEqual(fromCsv.params);
    }
    expect(fromCsv.data.features).toBe(6);
  });

  it('each row is one image, row-major', async () => {
    const t = await train(model, { data: { x: rows, y: labels }, epochs: 0 });
    const byRows = predict(t, { x: rows });
    expect(byRows.shape).toEqual([5, 3]);
    expect(predict(t, { x: Float32Array.from(rows.flat()) }).data).toEqual(byRows.data);
    // one row alone predicts what it predicts among the others
    expect(predict(t, { x: [rows[3]] }).data).toEqual(byRows.data.subarray(9, 12));
  });

  it('refuses a count that does not fill the input, naming the data, the input and the count', async () => {
    const seven = rows.map((r) => [...r, 0]);
    await expect(train(model, { data: { x: seven, y: labels } })).rejects.toThrow(/^<memory>: 7 feature column\(s\), but the input x \[N, 1, 2, 3\] \(.*rank\.test\.ts:\d+\) takes 6 value\(s\) per row$/);
    await expect(train(model, { data: seven.map((r, i) => [...r, labels[i]].join(',')).join('\n'), source: 'seven.csv' })).rejects.toThrow(/^seven\.csv: 7 feature column\(s\), but the input x/);
    await expect(train(model, { data: { x: Float32Array.from(rows.flat()), shape: [5, 6], y: labels } })).rejects.toThrow(/rows of shape \[6\], but the input x \[N, 1, 2, 3\] .*takes rows of shape \[1, 2, 3\]/);
    expect(() => predict(undefined as never, { x: rows })).toThrow(/expected the result of train/);
  });
});
