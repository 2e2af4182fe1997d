/**
 * Training a model from code: the one path behind both `graphc train` and the package's `train`. A model
 * is built, compiled by the same pipeline (`compileModel`), and trained by `fit` on the same runtime; the
 * result is the document `graphc train --json` prints (`JSON.stringify(result)` is that document), with
 * what `predict` and the ONNX export need kept beside it.
 */
import type { BuiltModel, Model, OptimizerSpec, TrainConfig } from '../compiler/dsl/model.ts';
import { defineModel, isModel } from '../compiler/dsl/model.ts';
import { compileModel, type CompiledModel } from '../compiler/passes/compile.ts';
import { TorchGenerator } from '../compiler/init/torch-random.ts';
import { GraphError } from '../compiler/ir/errors.ts';
import { Executable, ParamStore, type Runner, type TensorValue } from './executable.ts';
import { Shapes, ShapedExecutable, ShapedTrainer } from './shaped.ts';
import { Trainer } from './trainer.ts';
import { fit, feedsFor, rateOf, xyInputs, type Divergence, type FitOptions, type FitResult, type LogEntry, type LrSchedule } from './fit.ts';
import { heap } from './kernels/heap.ts';
import { helperDeclined, helperSpawner, stopHelperThread, useHelperThread, type WorkerLike } from './kernels/threads.ts';
import type { Graph } from '../compiler/ir/graph.ts';
import { fileReader } from './files.ts';
import { checkData } from './data-checks.ts';
import { checkPredictArgs, checkTrainArgs } from './train-args.ts';

export { useFileReader } from './files.ts';
import { arrayData, checkFinite, inlineData, parseCsv, DataError, type ArrayData, type Dataset } from './data.ts';

export type { Divergence, LogEntry, LrSchedule };

/** Compiles a built model and trains it: `fit` on its compiled step (each batch shape's, for a `specialized` model), its parameters, its generator. */
export function fitModel(
  m: BuiltModel,
  data: Dataset,
  cfg: TrainConfig | (Omit<TrainConfig, 'lr'> & { readonly lr: LrSchedule }),
  opts: Omit<FitOptions, 'metrics' | 'shuffler'> & { readonly optimize?: boolean; readonly fuse?: boolean; readonly compiled?: CompiledModel; readonly metrics?: FitOptions['metrics'] } = {},
): FitResult & { readonly compiled: CompiledModel; readonly shapes: Shapes | null } {
  checkData(m, data);
  // (the rate compiled is only the leaf's first value: fit sets it, or the schedule each step's)
  const lr = typeof cfg.lr === 'function' ? rateOf(cfg.lr, 0, 0) : cfg.lr;
  const compiled = opts.compiled ?? compileModel(m, { lr, optimizer: cfg.optimizer, optimize: opts.optimize, fuse: opts.fuse });
  const step = compiled.trainStep;
  const params = new ParamStore([...step.params, ...m.forward.params.filter((p) => !step.params.includes(p))]);
  const shapes = compiled.model.specialized ? new Shapes(compiled) : null;
  const metrics = opts.metrics !== undefined ? opts.metrics : compiled.metrics;
  const metricsRunner = shapes && metrics ? new ShapedExecutable(shapes, (c) => c.metrics!, params) : undefined;
  try {
    const trainer = shapes ? new ShapedTrainer(shapes, params) : new Trainer(step, params);
    const res = fit(trainer, data, cfg, { ...opts, metrics, metricsRunner, shuffler: m.generator ?? new TorchGenerator(0) });
    return { ...res, compiled, shapes };
  } finally {
    metricsRunner?.dispose();
  }
}

/** Data for `train`: CSV text (features, then the target, per line), arrays in memory, or a `Dataset`. */
export type TrainData = string | ArrayData | Dataset;

export interface TrainOptions {
  /**
   * The data (default: the model's own, when it is inline or generated, or a file where one can be read).
   * Float32Arrays are used as they are, not copied: training reads them when it runs (one copy into the
   * runtime's memory for its duration), so leave them unchanged until `train` resolves.
   */
  readonly data?: TrainData;
  /** Shown as the data's source in the result (default: '<memory>', '<csv>' or the model's). */
  readonly source?: string;
  readonly epochs?: number;
  /**
   * The learning rate, or a schedule: a function of the epoch (0..epochs) and the step's index among all
   * steps, giving each step's rate, as a PyTorch scheduler sets it (`(epoch) => 0.1 * 0.95 ** epoch`).
   * The step is compiled once either way: the rate is one of its inputs.
   */
  readonly lr?: number | LrSchedule;
  readonly logEvery?: number;
  readonly logAccuracy?: boolean;
  readonly batchSize?: number;
  readonly shuffle?: boolean;
  readonly holdout?: number;
  readonly optimizer?: OptimizerSpec;
  /** The model's seed (its generator: initial values and shuffling), instead of its own. */
  readonly seed?: number;
  /** The model's variants, e.g. `{ loss: 'bce' }`. */
  readonly options?: Readonly<Record<string, string>>;
  /** Run the optimization pipeline (default true) and fuse losses (default true), as `--no-opt`/`--no-fuse`. */
  readonly optimize?: boolean;
  readonly fuse?: boolean;
  /** Called with each logged epoch as training goes. */
  readonly onLog?: (e: LogEntry) => void;
  /** Called after every epoch with the latest computed cost (progress). */
  readonly onEpoch?: (epoch: number, cost: number) => void;
  /** Compute the cost on every epoch (a curve of every epoch's cost through `onEpoch`). */
  readonly costEveryEpoch?: boolean;
  /**
   * As `graphc --threads`: 1 runs every kernel on the calling thread; 2 splits large kernels with a helper
   * thread, the one the platform's edge installed (Node: `useNodeHelperThread()` from 'graphc/node'), or
   * else, where the platform has Web Workers, one started here. Either way the results are the same bits.
   * On a machine of one core (or without shared memory) 2 runs on one thread, and says why once on the
   * console. Default: as installed.
   */
  readonly threads?: 1 | 2;
}

/** The result of training: the document `graphc train --json` prints. */
export interface Trained {
  readonly model: string;
  readonly options: Readonly<Record<string, string>>;
  readonly data: { readonly source: string; readonly rows: number; readonly features: number };
  /** The settings it trained with: `batchSize` null for the whole set a step, `holdout` 0 for none, `optimizer` as given ({ kind: 'sgd' } by default). */
  readonly config: { readonly epochs: number; readonly lr: number; readonly logEvery: number; readonly batchSize: number | null; readonly shuffle: boolean; readonly holdout: number; readonly optimizer: OptimizerSpec };
  readonly log: readonly LogEntry[];
  /** The model's trained parameters and running statistics (`bn.running_mean`) by name, row-major (the optimizer's state stays out). */
  readonly params: Readonly<Record<string, number[]>>;
  /** Accuracy of the trained model on its training data (classifiers; absent where training diverged). */
  readonly accuracy?: number;
  /**
   * Present where training diverged: a cost not finite (training stopped at that epoch, the log's last),
   * or a parameter not finite after the last update. `predict` and `exportOnnx` then refuse the result.
   */
  readonly diverged?: Divergence;
  readonly seconds: number;
}

interface Kept {
  readonly compiled: CompiledModel;
  readonly store: ParamStore;
  readonly built: BuiltModel;
  readonly cfg: TrainConfig;
  readonly data: Dataset;
  readonly shapes: Shapes | null;
  inference?: Runner;
}
const kept = new WeakMap<Trained, Kept>();

function keptOf(t: Trained, what: string): Kept {
  const k = kept.get(t);
  if (!k) throw new GraphError(`${what}: expected the result of train()`);
  return k;
}

/** What a diverged training did, in words: `the cost is NaN at epoch 3 (finite at epoch 2)`. */
export function divergenceText(d: Divergence): string {
  if (Number.isFinite(d.cost)) return `a parameter is not finite after the last update (epoch ${d.epoch}: ${d.params.join(', ')})`;
  if (d.initial) return `the cost is ${d.cost} at epoch 0, before any update (the loss of the initial parameters)`;
  return `the cost is ${d.cost} at epoch ${d.epoch}` + (d.lastFinite !== undefined ? ` (finite at epoch ${d.lastFinite})` : '');
}

/** Refuses a diverged training's result, whose parameters are no trained model's (`what` names the caller). */
export function checkConverged(t: Trained, what: string): void {
  keptOf(t, what);
  if (t.diverged) throw new GraphError(`${what}: training ${t.model} diverged: ${divergenceText(t.diverged)}; train it again${t.diverged.initial ? '' : ' with a smaller lr'}`);
}

/** What `train` trained: its compiled model and trained parameter store (for export and inference). */
export function trainedModel(t: Trained): { readonly compiled: CompiledModel; readonly params: ParamStore; readonly built: BuiltModel; readonly config: TrainConfig; readonly dataset: Dataset } {
  const k = keptOf(t, 'trainedModel');
  return { compiled: k.compiled, params: k.store, built: k.built, config: k.cfg, dataset: k.data };
}

/**
 * The shape of a flat x ([rows, ...one row]) from the model's input x where its shape says one row's
 * size (`['N', 2]`: rows of 2); undefined where it is given, x is rows of numbers, or the model cannot say.
 */
function flatShape(g: Graph, x: ArrayData['x'], shape: readonly number[] | undefined): readonly number[] | undefined {
  if (shape || !(x instanceof Float32Array || typeof x[0] === 'number')) return shape;
  const sample = xyInputs(g).x.shape.slice(1);
  if (!sample.every((d): d is number => typeof d === 'number')) return undefined;
  const per = sample.reduce((a, b) => a * b, 1);
  if (x.length % per) throw new DataError(`data: x holds ${x.length} values, not whole rows of ${per} (the model's x is [N, ${sample.join(', ')}])`);
  return [x.length / per, ...sample];
}

async function dataOf(model: Model | null, built: BuiltModel, d: TrainData | undefined, source: string | undefined): Promise<{ data: Dataset; source: string }> {
  if (typeof d === 'string') return { data: parseCsv(d, source ?? '<csv>'), source: source ?? '<csv>' };
  if (d && 'rows' in d && 'features' in d && d.x instanceof Float32Array) return { data: d as Dataset, source: source ?? '<memory>' };
  if (d) {
    const a = d as ArrayData;
    return { data: arrayData({ ...a, shape: flatShape(built.forward, a.x, a.shape) }), source: source ?? '<memory>' };
  }
  const own = model?.spec.data;
  if (!own) throw new DataError(`model ${built.name} has no built-in data: give train() its data`);
  if (typeof own === 'function') return { data: own(), source: source ?? '<generated by the model>' };
  if (own instanceof URL || typeof own === 'string') {
    const name = own instanceof URL && own.protocol === 'file:' ? decodeURIComponent(own.pathname) : String(own);
    const readText = fileReader();
    if (readText) {
      const read = readText(own, name);
      return { data: typeof read === 'string' ? parseCsv(read, name) : read, source: source ?? name };
    }
    const web = own instanceof URL && /^https?:$/.test(own.protocol) && typeof fetch === 'function';
    if (!web) throw new DataError(`model ${built.name}'s data is a file (${name}): give train() the data (its CSV text, or arrays), or in Node call useNodeFileReader() from 'graphc/node' first`);
    const res = await fetch(own);
    if (!res.ok) throw new DataError(`model ${built.name}'s data: ${name} answered ${res.status}`);
    return { data: parseCsv(await res.text(), name), source: source ?? name };
  }
  return { data: inlineData(own.x, own.y), source: source ?? '<built-in>' };
}

/**
 * Builds, compiles and trains a model (or trains a built one, e.g. an imported ONNX model with a loss
 * attached) with the model's training configuration and `o`'s overrides.
 */
export async function trainModel(model: Model | BuiltModel, o: TrainOptions = {}): Promise<Trained> {
  checkTrainArgs(model, o);
  let m: Model | null = isModel(model) ? model : null;
  if (m && o.seed !== undefined) m = defineModel({ ...m.spec, seed: o.seed });
  const built = m ? m.build(o.options ?? {}) : (model as BuiltModel);
  const base: TrainConfig = m ? m.train : { epochs: 100, lr: 0.1, logEvery: 10, logAccuracy: false };
  const pick = <K extends keyof TrainConfig>(k: K): Partial<TrainConfig> => (o[k as keyof TrainOptions] !== undefined ? { [k]: o[k as keyof TrainOptions] } : {});
  const schedule = typeof o.lr === 'function' ? o.lr : undefined;
  const cfg: TrainConfig = { ...base, ...pick('epochs'), ...(schedule ? { lr: rateOf(schedule, 0, 0) } : pick('lr')), ...pick('logEvery'), ...pick('logAccuracy'), ...pick('batchSize'), ...pick('shuffle'), ...pick('holdout'), ...pick('optimizer') };
  const { data, source } = await dataOf(m, built, o.data, o.source);
  const compiled = compileModel(built, { lr: cfg.lr, optimizer: cfg.optimizer, optimize: o.optimize, fuse: o.fuse });
  return withThreads(o.threads, () => trainCompiled(built, compiled, cfg, data, source, { ...o, schedule }));
}

/** Runs `run` with kernels on `threads` threads (1: then as before; a helper started for 2 stays installed). */
function withThreads<T>(threads: 1 | 2 | undefined, run: () => T): T {
  if (threads === undefined) return run();
  if (threads !== 1 && threads !== 2) throw new GraphError(`threads must be 1 or 2, got ${String(threads)}`);
  const before = helperSpawner();
  if (threads === 1) stopHelperThread();
  else if (!heap()) oneThreadOnly('there is no shared memory here (a page must be cross-origin isolated: served with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)');
  else if (!before && oneCore()) oneThreadOnly(oneCore()!);
  else if (!before) {
    const W = (globalThis as { Worker?: new (url: string) => WorkerLike }).Worker;
    if (!W) throw new GraphError("threads: 2 needs a way to start a thread: in Node, call useNodeHelperThread() from 'graphc/node' first");
    useHelperThread((src) => new W(URL.createObjectURL(new Blob([src], { type: 'text/javascript' }))));
  }
  try {
    return run();
  } finally {
    if (threads === 1 && before) useHelperThread(before);
  }
}

/**
 * Why a helper thread would only slow training here: the platform's edge declined one on a machine of one
 * core (`useNodeHelperThread`), or a page's navigator counts one core; null otherwise.
 */
function oneCore(): string | null {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return helperDeclined() ?? (nav?.hardwareConcurrency === 1 ? 'this machine has one core (navigator.hardwareConcurrency is 1), where a helper thread only takes turns with the calling thread' : null);
}

const warned = new Set<string>();
/**
 * `threads: 2` where a helper thread cannot run (no shared memory: a page that is not cross-origin
 * isolated) or can only slow training (one core): training runs on one thread, with the same results, and
 * says so once on the console.
 */
function oneThreadOnly(why: string): void {
  if (warned.has(why)) return;
  warned.add(why);
  console.warn(`graphc: threads: 2 runs on one thread: ${why}`);
}

/**
 * Trains a built model already compiled (by `compileModel` with `cfg`'s lr and optimizer) on `data`, and
 * returns the `graphc train --json` document (what `graphc train` does once it has compiled).
 */
export function trainCompiled(
  built: BuiltModel,
  compiled: CompiledModel,
  cfg: TrainConfig,
  data: Dataset,
  source: string,
  o: Pick<FitOptions, 'onLog' | 'onEpoch' | 'costEveryEpoch'> & { readonly schedule?: LrSchedule } = {},
): Trained {
  const res = fitModel(built, data.source ? data : { ...data, source }, o.schedule ? { ...cfg, lr: o.schedule } : cfg, { compiled, onLog: o.onLog, onEpoch: o.onEpoch, costEveryEpoch: o.costEveryEpoch });
  const doc: Trained = {
    model: built.name,
    options: built.options,
    data: { source, rows: data.rows, features: data.features },
    config: { epochs: cfg.epochs, lr: cfg.lr, logEvery: cfg.logEvery, batchSize: cfg.batchSize ?? null, shuffle: cfg.shuffle === true, holdout: cfg.holdout ?? 0, optimizer: cfg.optimizer ?? { kind: 'sgd' } },
    log: res.log,
    params: Object.fromEntries(built.forward.params.map((p) => [String(p.attrs.name), Array.from(res.params.get(String(p.attrs.name)))])),
    ...(res.finalAccuracy !== undefined && { accuracy: res.finalAccuracy }),
    ...(res.diverged && { diverged: res.diverged }),
    seconds: res.seconds,
  };
  kept.set(doc, { compiled: res.compiled, store: res.params, built, cfg, data, shapes: res.shapes });
  return doc;
}

/** The model's `predict` output for inputs `x` (rows of numbers, or flat with `shape`), with trained parameters. */
export function predictWith(t: Trained, input: { readonly x: ArrayData['x']; readonly shape?: readonly number[] }): TensorValue {
  const k = keptOf(t, 'predict');
  checkConverged(t, 'predict');
  checkPredictArgs(input);
  const inference = k.compiled.inference;
  const shape = flatShape(k.compiled.trainStep, input.x, input.shape);
  const d: Dataset = { ...arrayData({ x: input.x, shape, y: new Float32Array(shape ? shape[0] : input.x.length) }), source: '<memory>' };
  // (as training data: a NaN or Infinity fed would come back as a NaN prediction, silently)
  checkFinite(d);
  const feeds = feedsFor(k.compiled.trainStep, d);
  const exe = (k.inference ??= k.shapes ? new ShapedExecutable(k.shapes, (c) => c.inference, k.store) : new Executable(inference, k.store));
  const ins = Object.fromEntries(inference.inputs.map((n) => [String(n.attrs.name), feeds[String(n.attrs.name)]]));
  return exe.outputs(ins).predict;
}
