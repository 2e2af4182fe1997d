/**
 * Golden files: the printed train-step graphs of the seed's models, as built and after the pipeline.
 * Regenerate with UPDATE_GOLDEN=1 after a deliberate change, and read the diff.
 * A printout does not depend on what was built before: each case prints its file alone (in a fresh
 * instance of graphc's modules), after the others, and after them in the reverse order.
 */
import { describe, expect, it, vi } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import toy from '../../graphs/toy.ts';
import diabetes from '../../graphs/diabetes.ts';
import classifier from '../../graphs/binary-classifier.ts';
import mlp from '../../graphs/mlp-w4.ts';
import { compileModel } from '../../compiler/passes/index.ts';
import { printGraph } from '../../compiler/ir/print.ts';
import type { Model } from '../../compiler/dsl/model.ts';

type Case = [string, Model, Record<string, string>];
const cases: Case[] = [
  ['toy', toy, {}],
  ['toy-bce', toy, { loss: 'bce' }],
  ['diabetes', diabetes, {}],
  ['binary-classifier', classifier, {}],
  // two linear layers wider than a row region: their products fold their biases (fold-linear)
  ['mlp-w4', mlp, {}],
];

const golden = (name: string, optimize: boolean): string => fileURLToPath(new URL(`./golden/${name}.${optimize ? 'opt' : 'raw'}.txt`, import.meta.url));
const print = ([, model, opts]: Case, optimize: boolean): string => printGraph(compileModel(model.build(opts), { lr: model.train.lr, optimize }).trainStep) + '\n';

describe('printed train-step graphs', () => {
  for (const c of cases)
    for (const optimize of [false, true]) {
      const file = golden(c[0], optimize);
      it(`${c[0]} ${optimize ? 'optimized' : 'as built'}`, () => {
        const text = print(c, optimize);
        if (process.env.UPDATE_GOLDEN || !existsSync(file)) writeFileSync(file, text);
        expect(text).toBe(readFileSync(file, 'utf8'));
      });
    }

  it('each case prints the same alone, after the others and after them in reverse', async () => {
    const after = new Map<string, string>();
    for (const c of [...cases].reverse()) for (const optimize of [false, true]) after.set(`${c[0]}.${optimize}`, print(c, optimize));
    for (const [name, , opts] of cases) {
      vi.resetModules(); // a fresh graphc: nothing built before
      const fresh = await import('../../compiler/passes/index.ts');
      const { printGraph: freshPrint } = await import('../../compiler/ir/print.ts');
      const model = (await import(`../../graphs/${name.replace('-bce', '')}.ts`)).default as Model;
      for (const optimize of [false, true]) {
        const alone = freshPrint(fresh.compileModel(model.build(opts), { lr: model.train.lr, optimize }).trainStep) + '\n';
        expect(alone).toBe(readFileSync(golden(name, optimize), 'utf8'));
        expect(after.get(`${name}.${optimize}`)).toBe(alone);
      }
    }
  });

  it('diabetes built after toy prints as diabetes built alone', async () => {
    vi.resetModules();
    const alone = await import('../../compiler/passes/index.ts');
    const aloneModel = (await import('../../graphs/diabetes.ts')).default as Model;
    const { printGraph: alonePrint } = await import('../../compiler/ir/print.ts');
    const first = alonePrint(alone.compileModel(aloneModel.build(), { lr: 0.1, optimize: false }).trainStep);
    compileModel(toy.build(), { lr: 0.1, optimize: false });
    const second = printGraph(compileModel(diabetes.build(), { lr: 0.1, optimize: false }).trainStep);
    expect(second).toBe(first);
    expect(second).not.toContain('toy.ts');
  });
  it('the optimized seed graphs hold one fused loss and no Log', () => {
    for (const [name, model, opts] of cases) {
      if (name === 'mlp-w4') continue; // (its loss is softmax cross-entropy, not a BCE)
      const g = compileModel(model.build(opts), { lr: 1 }).trainStep;
      const ops = g.nodes.map((n) => n.op);
      expect(ops.filter((o) => o === 'BCEWithLogits' || o === 'BCEWithLogitsExp')).toHaveLength(1);
      expect(ops).not.toContain('Log');
      expect(ops).not.toContain('BCE');
    }
  });
});
