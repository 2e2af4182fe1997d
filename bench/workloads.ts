/**
 * graphc's side of the benchmark workloads (../shared/reference/workloads.md): each returns seconds for
 * the timed part only (data already in memory; the training loop or the inference call), best of
 * `repeats` after one warm-up.
 */
import { readFileSync } from 'node:fs';
import toy from '../graphs/toy.ts';
import diabetes from '../graphs/diabetes.ts';
import { compileModel } from '../compiler/passes/compile.ts';
import { ParamStore } from '../runtime/executable.ts';
import { Trainer } from '../runtime/trainer.ts';
import { feedsFor } from '../runtime/fit.ts';
import { parseCsv, type Dataset } from '../runtime/data.ts';
import type { BuiltModel, Model } from '../compiler/dsl/model.ts';
import type { Graph } from '../compiler/ir/graph.ts';

export interface Timing {
  readonly seconds: number;
  readonly all: number[];
  readonly extra?: Record<string, number>;
}

export function bestOf(repeats: number, fn: () => number): Timing {
  fn(); // warm-up
  const all: number[] = [];
  for (let r = 0; r < repeats; r++) all.push(fn());
  return { seconds: Math.min(...all), all };
}

export type StepGraphOf = (m: BuiltModel, lr: number) => Graph;
const defaultStep: StepGraphOf = (m, lr) => compileModel(m, { lr }).trainStep;

/** Full-batch training for `steps` steps, timed from the first step (planning included) to the last. */
export function timeFullBatch(model: Model, data: Dataset, steps: number, lr: number, stepOf: StepGraphOf = defaultStep): () => number {
  return () => {
    const m = model.build();
    const trainer = new Trainer(stepOf(m, lr), new ParamStore(m.forward.params));
    const feeds = feedsFor(m, data);
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) trainer.run(feeds);
    return (performance.now() - t0) / 1000;
  };
}

export function w1(repeats = 3, stepOf?: StepGraphOf): Timing {
  const data = parseCsv(readFileSync(new URL('../data/toy.csv', import.meta.url), 'utf8'));
  return bestOf(repeats, timeFullBatch(toy, data, 1001, 1, stepOf));
}

export function w2(diabetesCsv: string, repeats = 3, stepOf?: StepGraphOf): Timing {
  const data = parseCsv(readFileSync(diabetesCsv, 'utf8'));
  return bestOf(repeats, timeFullBatch(diabetes, data, 101, 1, stepOf));
}
