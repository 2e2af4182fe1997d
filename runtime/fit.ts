/**
 * The training loop of the seed: full-batch steps for epochs 0..E, the cost logged every K epochs (the
 * cost computed before that epoch's update, as PyTorch prints it), then the accuracy of the trained model.
 */
import type { BuiltModel, TrainConfig } from '../compiler/dsl/model.ts';
import { compileModel } from '../compiler/passes/compile.ts';
import type { Graph } from '../compiler/ir/graph.ts';
import { GraphError } from '../compiler/ir/errors.ts';
import { shapeStr } from '../compiler/ir/shape.ts';
import { Executable, ParamStore, type TensorValue } from './executable.ts';
import { Trainer } from './trainer.ts';
import type { Dataset } from './data.ts';

export interface LogEntry {
  readonly epoch: number;
  readonly cost: number;
  readonly accuracy?: number;
}

export interface FitResult {
  readonly log: LogEntry[];
  readonly params: ParamStore;
  /** Accuracy of the trained parameters on the training data (classifiers). */
  readonly finalAccuracy?: number;
  readonly seconds: number;
}

export interface FitOptions {
  /** Train-step graph to run (default: the model compiled with the optimization pipeline). */
  readonly step?: Graph;
  /** Metrics graph (accuracy), run before the step of each logged epoch (default: compiled with the step). */
  readonly metrics?: Graph | null;
  /** Options of the pipeline when `step` is not given (fusion and grouping on by default). */
  readonly compile?: { readonly optimize?: boolean; readonly fuse?: boolean; readonly group?: boolean };
  /** Called for each logged epoch. */
  readonly onLog?: (e: LogEntry, cfg: TrainConfig) => void;
  /** Called after every epoch (progress). */
  readonly onEpoch?: (epoch: number, cost: number) => void;
}

/** The feeds of a data set for a model whose inputs are `x` [N, F] and `y` [N, 1]. */
export function feedsFor(m: BuiltModel, d: Dataset): Record<string, TensorValue> {
  const inputs = m.forward.inputs;
  const y = inputs.find((n) => n.attrs.name === 'y');
  const others = inputs.filter((n) => n !== y);
  // the features go to the input named x, or to the model's only other input (imported models)
  const x = others.find((n) => n.attrs.name === 'x') ?? (others.length === 1 ? others[0] : undefined);
  if (!x || !y) throw new GraphError(`model ${m.name}: a model trained on CSV data needs a target input 'y' and one feature input ('x')`);
  const f = x.shape[x.shape.length - 1];
  if (x.shape.length !== 2 || (typeof f === 'number' && f !== d.features))
    throw new GraphError(`model ${m.name} expects x of shape ${shapeStr(x.shape)}, but the data has ${d.features} feature column(s)`, x.src);
  return { [String(x.attrs.name)]: { data: d.x, shape: [d.rows, d.features] }, y: { data: d.y, shape: [d.rows, 1] } };
}

export function fit(m: BuiltModel, d: Dataset, cfg: TrainConfig, opts: FitOptions = {}): FitResult {
  const feeds = feedsFor(m, d);
  const compiled = opts.step ? null : compileModel(m, { lr: cfg.lr, ...opts.compile });
  const step = opts.step ?? compiled!.trainStep;
  const metricsGraph = opts.metrics !== undefined ? opts.metrics : (compiled?.metrics ?? null);
  const params = new ParamStore(m.forward.params);
  const trainer = new Trainer(step, params);
  const metrics = metricsGraph && new Executable(metricsGraph, params);
  const accuracy = () => metrics!.run(feeds).buffer(metricsGraph!.output('accuracy'))[0];
  const log: LogEntry[] = [];
  const t0 = performance.now();
  for (let epoch = 0; epoch <= cfg.epochs; epoch++) {
    const logged = epoch % cfg.logEvery === 0 || epoch === cfg.epochs;
    // the accuracy of this epoch's forward pass: same parameters as the step about to run
    const acc = logged && metrics && cfg.logAccuracy ? accuracy() : undefined;
    const cost = trainer.run(feeds);
    if (logged) {
      const e: LogEntry = acc !== undefined ? { epoch, cost, accuracy: acc } : { epoch, cost };
      log.push(e);
      opts.onLog?.(e, cfg);
    }
    opts.onEpoch?.(epoch, cost);
  }
  const seconds = (performance.now() - t0) / 1000;
  const finalAccuracy = metrics ? accuracy() : undefined;
  return { log, params, finalAccuracy, seconds };
}
