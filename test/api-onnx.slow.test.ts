/**
 * exportOnnx(trained) as another runtime reads it: onnxruntime-node runs the bytes train() exported, and
 * its output for every training row is within 1e-5 of predict(trained) on the same rows (the toy set, and
 * the diabetes set with its Linear + sigmoid model).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { train, predict, exportOnnx, type Model } from '../index.ts';
import toy from '../graphs/toy.ts';
import classifier from '../graphs/binary-classifier.ts';
import { dataFile } from './support/seed.ts';

const cases: [string, Model, string][] = [
  ['toy', toy, 'toy.csv'],
  ['binary-classifier', classifier, 'data-03-diabetes.csv'],
];

describe('exportOnnx(trained) in onnxruntime', () => {
  for (const [name, model, csv] of cases)
    it(`${name}: onnxruntime's predict on the exported bytes is predict(trained) within 1e-5`, async () => {
      const text = readFileSync(dataFile(csv), 'utf8');
      const trained = await train(model, { data: text, epochs: 50, logEvery: 50 });
      const rows = text.split('\n').filter((l) => l.trim() && !l.startsWith('#')).map((l) => l.split(',').map(Number));
      const F = rows[0].length - 1;
      const x = Float32Array.from(rows.flatMap((r) => r.slice(0, F)));
      const ours = predict(trained, { x, shape: [rows.length, F] });
      const session = await ort.InferenceSession.create(await exportOnnx(trained));
      expect(session.inputNames).toHaveLength(1);
      const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, [rows.length, F]) });
      const theirs = out.predict.data as Float32Array;
      expect(out.predict.dims).toEqual(ours.shape);
      theirs.forEach((v, i) => expect(Math.abs(v - ours.data[i]), `row ${i}`).toBeLessThanOrEqual(1e-5));
      // trained: not the untrained model's constant 0.5 everywhere
      expect(Math.max(...theirs) - Math.min(...theirs)).toBeGreaterThan(0.1);
    });
});
