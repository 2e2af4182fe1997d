/**
 * Golden files: the printed train-step graphs of the seed's models, as built and after the pipeline.
 * Regenerate with UPDATE_GOLDEN=1 after a deliberate change, and read the diff.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import toy from '../../graphs/toy.ts';
import diabetes from '../../graphs/diabetes.ts';
import classifier from '../../graphs/binary-classifier.ts';
import { compileModel } from '../../compiler/passes/index.ts';
import { printGraph } from '../../compiler/ir/print.ts';
import type { Model } from '../../compiler/dsl/model.ts';

const cases: [string, Model, Record<string, string>][] = [
  ['toy', toy, {}],
  ['toy-bce', toy, { loss: 'bce' }],
  ['diabetes', diabetes, {}],
  ['binary-classifier', classifier, {}],
];

describe('printed train-step graphs', () => {
  for (const [name, model, opts] of cases)
    for (const optimize of [false, true]) {
      const file = fileURLToPath(new URL(`./golden/${name}.${optimize ? 'opt' : 'raw'}.txt`, import.meta.url));
      it(`${name} ${optimize ? 'optimized' : 'as built'}`, () => {
        const text = printGraph(compileModel(model.build(opts), { lr: model.train.lr, optimize }).trainStep) + '\n';
        if (process.env.UPDATE_GOLDEN || !existsSync(file)) writeFileSync(file, text);
        expect(text).toBe(readFileSync(file, 'utf8'));
      });
    }
  it('the optimized seed graphs hold one fused loss and no Log', () => {
    for (const [, model, opts] of cases) {
      const g = compileModel(model.build(opts), { lr: 1 }).trainStep;
      const ops = g.nodes.map((n) => n.op);
      expect(ops.filter((o) => o === 'BCEWithLogits' || o === 'BCEWithLogitsExp')).toHaveLength(1);
      expect(ops).not.toContain('Log');
      expect(ops).not.toContain('BCE');
    }
  });
});
