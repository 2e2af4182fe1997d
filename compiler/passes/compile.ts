/**
 * A model compiled: the forward graph with the forward passes applied (loss fusions, slice-concat), then the train step differentiated from
 * it and optimized, and the inference graph optimized. With `optimize: false`, the graphs as built.
 */
import type { Graph } from '../ir/graph.ts';
import { inScopeOf } from '../ir/node.ts';
import type { BuiltModel, OptimizerSpec } from '../dsl/model.ts';
import { checkOptimizer, type OptimizerConfig } from '../train/optimizers.ts';
import { trainStepGraph, inferenceGraph, metricsGraph } from '../train/step.ts';
import { graphPasses, forwardPasses, runPasses, type OptimizeOptions, type PassReport } from './pipeline.ts';

export interface CompileOptions extends OptimizeOptions {
  readonly optimize?: boolean;
  readonly lr: number;
  /** The optimizer (default plain SGD at `lr`). */
  readonly optimizer?: OptimizerSpec;
}

export interface CompiledModel {
  readonly forward: Graph;
  readonly trainStep: Graph;
  readonly inference: Graph;
  /** Accuracy (classifiers), or null. */
  readonly metrics: Graph | null;
  readonly report: readonly PassReport[];
  /** The model as compiled, with its forward graph after the forward passes. */
  readonly model: BuiltModel;
  /** What it was compiled with (a model specialised on its input's shape compiles each other shape so). */
  readonly options: CompileOptions;
}

export function compileModel(m: BuiltModel, options: CompileOptions): CompiledModel {
  // everything compiling builds (gradients, optimizer updates, rewrites) belongs to the model's build
  return inScopeOf(m.forward.nodes, () => compile(m, options));
}

function compile(m: BuiltModel, options: CompileOptions): CompiledModel {
  const report: PassReport[] = [];
  checkOptimizer(options.optimizer);
  const opt = { ...(options.optimizer ?? {}), lr: options.lr } as OptimizerConfig;
  const opts = options;
  if (opts.optimize === false) {
    return { forward: m.forward, trainStep: trainStepGraph(m, opt), inference: inferenceGraph(m), metrics: metricsGraph(m), report, model: m, options };
  }
  const forward = runPasses(m.forward, forwardPasses(opts), report);
  const fused: BuiltModel = { ...m, forward };
  const rawStep = trainStepGraph(fused, opt);
  const trainStep = runPasses(rawStep, graphPasses(opts), report);
  // the inference and metrics graphs are compiled when first asked for (training alone needs neither), in
  // the model's scope as the train step was; the report includes the inference passes once it is read
  const scope = m.forward.nodes;
  let inference: Graph | undefined;
  let metrics: Graph | null | undefined;
  const inferenceNow = () => (inference ??= inScopeOf(scope, () => runPasses(inferenceGraph(fused), graphPasses(opts), report)));
  return {
    forward,
    trainStep,
    get inference() {
      return inferenceNow();
    },
    get metrics() {
      if (metrics === undefined) {
        const raw = inScopeOf(scope, () => metricsGraph(fused));
        metrics = raw && inScopeOf(scope, () => runPasses(raw, graphPasses(opts), []));
      }
      return metrics;
    },
    get report() {
      inferenceNow();
      return report;
    },
    model: fused,
    options,
  };
}
