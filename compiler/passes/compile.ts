/**
 * A model compiled: the forward graph with loss fusions applied, then the train step differentiated from
 * it and optimized, and the inference graph optimized. With `optimize: false`, the graphs as built.
 */
import type { Graph } from '../ir/graph.ts';
import type { BuiltModel } from '../dsl/model.ts';
import { trainStepGraph, inferenceGraph, metricsGraph } from '../train/step.ts';
import { graphPasses, lossPasses, runPasses, type OptimizeOptions, type PassReport } from './pipeline.ts';

export interface CompileOptions extends OptimizeOptions {
  readonly optimize?: boolean;
  readonly lr: number;
}

export interface CompiledModel {
  readonly forward: Graph;
  readonly trainStep: Graph;
  readonly inference: Graph;
  /** Accuracy (classifiers), or null. */
  readonly metrics: Graph | null;
  readonly report: readonly PassReport[];
  /** The model as compiled, with its forward graph after loss fusions. */
  readonly model: BuiltModel;
}

export function compileModel(m: BuiltModel, opts: CompileOptions): CompiledModel {
  const report: PassReport[] = [];
  if (opts.optimize === false) {
    return { forward: m.forward, trainStep: trainStepGraph(m, { lr: opts.lr }), inference: inferenceGraph(m), metrics: metricsGraph(m), report, model: m };
  }
  const forward = runPasses(m.forward, lossPasses(opts), report);
  const fused: BuiltModel = { ...m, forward };
  const rawStep = trainStepGraph(fused, { lr: opts.lr });
  const trainStep = runPasses(rawStep, graphPasses(opts, () => trainStepGraph(m, { lr: opts.lr })), report);
  const rawInfer = inferenceGraph(fused);
  const inference = runPasses(rawInfer, graphPasses(opts, () => inferenceGraph(m)), report);
  const rawMetrics = metricsGraph(fused);
  const metrics = rawMetrics && runPasses(rawMetrics, graphPasses(opts), []);
  return { forward, trainStep, inference, metrics, report, model: fused };
}
