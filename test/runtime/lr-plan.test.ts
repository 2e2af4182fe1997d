/**
 * The learning rate does not change a step's plan: it is the step's leaf `optimizer.lr`, so a step compiled
 * at lr 1, one compiled at lr 0.1 and one whose rate a schedule writes before each step print the same
 * graph and plan the same kernels, paths and one-call entry. A schedule's rates reach the update (a rate
 * of 0 leaves the parameters as they were) without the step being planned again.
 */
import { describe, expect, it } from 'vitest';
import diabetes from '../../graphs/diabetes.ts';
import binaryClassifier from '../../graphs/binary-classifier.ts';
import xorMlp from '../../graphs/xor-mlp.ts';
import type { BuiltModel } from '../../compiler/dsl/model.ts';
import { compileModel } from '../../compiler/passes/compile.ts';
import { printGraph } from '../../compiler/ir/print.ts';
import { ParamStore } from '../../runtime/executable.ts';
import { Trainer } from '../../runtime/trainer.ts';
import type { Plan, TensorValue } from '../../runtime/plan.ts';
import { formatPlanReport } from '../../runtime/report.ts';
import { randoms } from '../support/run.ts';

/** What a plan decided, without the learning rate's value: its kernels (op, path, entry), regions, one call. */
function decisions(p: Plan) {
  const r = p.report();
  return {
    oneCall: r.oneCall,
    regions: r.regions.map((g) => [g.members, g.exits, g.path]),
    kernels: r.kernels.map((k) => [k.node.op, k.path, k.entry]),
    text: formatPlanReport('step', r).replace(/ at [^ ]+:\d+/g, ''),
  };
}

/** A batch of n rows for a model's inputs x [N, F] and y [N, C]: random features, 0/1 labels. */
function batchFor(m: BuiltModel, n: number): Record<string, TensorValue> {
  const dims = (name: string) => m.forward.nodes.find((d) => d.op === 'Input' && d.attrs.name === name)!.shape.slice(1) as number[];
  const [F] = dims('x'), C = dims('y').reduce((a, b) => a * b, 1);
  return {
    x: { data: Float32Array.from(randoms(n * F, 3, -1, 1)), shape: [n, F] },
    y: { data: Float32Array.from(randoms(n * C, 4, 0, 1), (v) => (v > 0.5 ? 1 : 0)), shape: [n, ...dims('y')] },
  };
}

const models = { diabetes, 'binary-classifier': binaryClassifier, 'xor-mlp': xorMlp };

describe('the learning rate does not change the plan', () => {
  for (const [name, model] of Object.entries(models))
    it(`${name}: lr 1, lr 0.1 and a schedule plan the same kernels and the same one-call entry`, () => {
      const m = model.build();
      const batch = batchFor(m, 64);
      const trainers = [1, 0.1].map((lr) => {
        const step = compileModel(m, { lr }).trainStep;
        return { step, trainer: new Trainer(step, new ParamStore(step.params)) };
      });
      const [at1, at01] = trainers;
      expect(printGraph(at01.step)).toBe(printGraph(at1.step));
      at1.trainer.run(batch);
      const planned = at01.trainer.exe.run(batch);
      expect(decisions(planned)).toEqual(decisions(at1.trainer.exe.placed(batch)));

      // a schedule: the rate written before each step; the plan stays the one made for the first
      const params = at01.trainer.params;
      const W = [...params.values].find(([p]) => p !== 'optimizer.lr')![0];
      for (const rate of [0, 1, 0.5, 0.05]) {
        const before = Float32Array.from(params.get(W));
        at01.trainer.lr = rate;
        at01.trainer.run(batch);
        expect(at01.trainer.exe.placed(batch)).toBe(planned);
        const moved = params.get(W).some((v, i) => v !== before[i]);
        expect(moved, `rate ${rate} ${moved ? 'moved' : 'left'} ${W}`).toBe(rate !== 0);
      }
      expect(decisions(planned)).toEqual(decisions(at1.trainer.exe.placed(batch)));
    });
});
