/**
 * The training loop. Full batch (the seed): one step per epoch for epochs 0..E, the cost logged every K
 * epochs being the one computed before that epoch's update, as PyTorch prints it, with the accuracy of
 * that same forward pass. Minibatches: each epoch visits the examples in order or, with `shuffle`, in the
 * order DataLoader(shuffle=True) would after the model's seed; the logged cost is the mean of the batch
 * costs of the epoch and the accuracy is measured on the whole training set after the epoch.
 * The cost is computed on the epochs that log it (and on every epoch with `costEveryEpoch`); the other
 * steps run without it (`Trainer.update`), which changes no parameter. In full-batch training, the
 * epochs from one logged epoch to the next run as one WebAssembly call, several such cycles a call, where
 * the steps' plans allow it (`Trainer.cycles`), and otherwise the steps between two logged epochs do
 * (`Trainer.updateTimes`).
 */
import type { Graph } from '../compiler/ir/graph.ts';
import type { Node } from '../compiler/ir/node.ts';
import { GraphError } from '../compiler/ir/errors.ts';
import { shapeStr } from '../compiler/ir/shape.ts';
import { posStr } from '../compiler/ir/source.ts';
import { Executable, type ParamStore, type TensorValue } from './executable.ts';
import { Trainer } from './trainer.ts';
import { DataError, type Dataset } from './data.ts';
import { allocate, release, resident } from './kernels/heap.ts';

export interface LogEntry {
  readonly epoch: number;
  readonly cost: number;
  readonly accuracy?: number;
  /** Accuracy on the held-out rows (with `holdout`). */
  readonly valAccuracy?: number;
}

/** The first rows for training and the rest held out, without copying. */
export function splitHoldout(d: Dataset, fraction: number): { train: Dataset; val: Dataset | null } {
  if (!fraction) return { train: d, val: null };
  const n = Math.round(d.rows * (1 - fraction));
  if (n <= 0 || n >= d.rows) throw new GraphError(`holdout ${fraction} leaves no rows for training or for evaluation (${d.rows} rows)`);
  const F = d.features;
  return {
    train: { ...d, x: d.x.subarray(0, n * F), y: d.y.subarray(0, n), rows: n },
    val: { ...d, x: d.x.subarray(n * F), y: d.y.subarray(n), rows: d.rows - n },
  };
}

export interface FitResult {
  readonly log: LogEntry[];
  /** The model's parameters (and the optimizer's state) after training. */
  readonly params: ParamStore;
  /** Accuracy of the trained parameters on the training data (classifiers). */
  readonly finalAccuracy?: number;
  readonly seconds: number;
}

/** What `fit` needs of a training configuration (a model's `TrainConfig` is one). */
export interface FitConfig {
  /** Epochs after the initial one: epochs 0..epochs, i.e. epochs + 1 steps. */
  readonly epochs: number;
  /** Log every K epochs (and the last). */
  readonly logEvery: number;
  /** Measure the accuracy with each logged epoch (otherwise once, after training). */
  readonly logAccuracy: boolean;
  /** Minibatch size (default: the whole data set, one step per epoch). */
  readonly batchSize?: number;
  /** Visit the examples in a new order each epoch (drawn from `FitOptions.shuffler`). */
  readonly shuffle?: boolean;
  /** Hold out this fraction of the rows (the last ones) for evaluation: logged as `valAccuracy`. */
  readonly holdout?: number;
}

/** Draws each epoch's order of the examples (a TorchGenerator: DataLoader(shuffle=True)'s order). */
export interface Shuffler {
  dataLoaderOrder(n: number): ArrayLike<number>;
}

export interface FitOptions {
  /** Metrics graph (accuracy), run on logged epochs and after training; null for none. */
  readonly metrics?: Graph | null;
  /** Where shuffled epochs draw their order from (required with `shuffle`). */
  readonly shuffler?: Shuffler;
  /** Called for each logged epoch. */
  readonly onLog?: (e: LogEntry) => void;
  /** Called after every epoch (progress), with the cost of the latest epoch that computed it. */
  readonly onEpoch?: (epoch: number, cost: number) => void;
  /** Compute the cost on every epoch, not only on logged ones (a curve of every epoch's cost). */
  readonly costEveryEpoch?: boolean;
}

export function xyInputs(g: Graph): { x: Node; y: Node } {
  const inputs = g.inputs;
  const y = inputs.find((n) => n.attrs.name === 'y');
  const others = inputs.filter((n) => n !== y);
  // the features go to the input named x, or to the model's only other input (imported models)
  const x = others.find((n) => n.attrs.name === 'x') ?? (others.length === 1 ? others[0] : undefined);
  if (!x || !y) throw new GraphError(`model ${g.name}: a model trained on CSV data needs a target input 'y' and one feature input ('x')`);
  return { x, y };
}

/**
 * The shape of one row of x as the model's input x takes it. A data set of rows of F values (CSV columns,
 * rows of numbers) fills an x of any rank row by row, row-major: `[N, 1, 8, 8]` takes rows of 64. A data
 * set that says its rows' shape (`sample`) must have the input's. Else a DataError naming the data, the
 * input and the count it takes.
 */
export function sampleShape(g: Graph, d: Dataset): number[] {
  const { x } = xyInputs(g);
  const want = x.shape.slice(1);
  const where = `${d.source ?? 'data'}: `;
  const input = `the input ${String(x.attrs.name)} ${shapeStr(x.shape)}${x.src ? ` (${posStr(x.src)})` : ''}`;
  if (d.sample) {
    const fits = want.length === d.sample.length && d.sample.every((s, i) => typeof want[i] !== 'number' || want[i] === s);
    if (!fits) throw new DataError(`${where}rows of shape [${d.sample.join(', ')}], but ${input} takes rows of shape ${shapeStr(want)}`);
    return [...d.sample];
  }
  if (want.length === 1 && (typeof want[0] !== 'number' || want[0] === d.features)) return [d.features];
  const dims = want.every((s): s is number => typeof s === 'number') ? want : null;
  const per = dims ? dims.reduce((a, b) => a * b, 1) : NaN;
  if (dims && per === d.features && dims.length > 0) return dims;
  const takes = dims ? `takes ${per} value(s) per row` : 'has symbolic dims after the first: give the data with its shape';
  throw new DataError(`${where}${d.features} feature column(s), but ${input} ${takes}`);
}

/** The feeds of a data set (or of its first `rows` rows) for a graph whose inputs are x [N, ...] and y. */
export function feedsFor(g: Graph, d: Dataset, rows = d.rows, sample = sampleShape(g, d)): Record<string, TensorValue> {
  const { x, y } = xyInputs(g);
  // targets: [N, 1] for a per-row value, [N] for class indices
  const yShape = y.shape.length === 1 ? [rows] : [rows, 1];
  return {
    [String(x.attrs.name)]: { data: d.x.subarray(0, rows * d.features), shape: [rows, ...sample] },
    y: { data: d.y.subarray(0, rows), shape: yShape },
  };
}

/**
 * Trains with a compiled step (the trainer's graph, writing its parameters) on a data set. The model and
 * its compilation are the caller's (`fitModel` in train.ts compiles a model and calls this).
 */
export function fit(trainer: Trainer, data: Dataset, cfg: FitConfig, opts: FitOptions = {}): FitResult {
  // the data set is copied once to where the kernels read it in place, and freed when training ends
  const x = resident(data.x), y = resident(data.y);
  try {
    return fitResident(trainer, { ...data, x, y }, cfg, opts);
  } finally {
    release(x, data.x);
    release(y, data.y);
  }
}

/** The longest a call of several training steps or cycles should take (seconds). */
const CYCLE_CALL_SECONDS = 0.02;
/** How many units of `secondsEach` one such call takes (at least one). */
const perCall = (secondsEach: number) => Math.max(1, Math.floor(CYCLE_CALL_SECONDS / Math.max(secondsEach, 1e-9)));

function fitResident(trainer: Trainer, all: Dataset, cfg: FitConfig, opts: FitOptions): FitResult {
  const { train: d, val } = splitHoldout(all, cfg.holdout ?? 0);
  const step = trainer.step;
  const feeds = feedsFor(step, d);
  const valFeeds = val && feedsFor(step, val);
  const metricsGraph = opts.metrics ?? null;
  const params = trainer.params;
  const metrics = metricsGraph && new Executable(metricsGraph, params);
  const accuracy = (f = feeds) => metrics!.run(f).buffer(metricsGraph!.output('accuracy'))[0];
  const log: LogEntry[] = [];
  const batch = cfg.batchSize && cfg.batchSize < d.rows ? cfg.batchSize : 0;
  if (batch && cfg.shuffle && !opts.shuffler) throw new GraphError(`model ${step.name}: shuffled minibatches need a shuffler (the model's generator)`);
  const batches = batch ? new Batches(step, d, batch, cfg.shuffle ? opts.shuffler! : null) : null;
  const t0 = performance.now();
  let cost = NaN;
  const isLogged = (epoch: number) => epoch % cfg.logEvery === 0 || epoch === cfg.epochs;
  // Full batch with nothing to measure between steps but the cost: after epoch 0, the epochs up to each
  // logged one are a cycle, K − 1 steps without the loss and one with it, and cycles run as one
  // WebAssembly call where the steps' plans are one call (Trainer.cycles). Calls take about
  // CYCLE_CALL_SECONDS at most, judged from epoch 0's step and then from each call, so that the log and
  // the progress come as training goes; where a cycle alone would take longer, the loop below runs the
  // epochs, and splits their steps by time instead.
  const K = cfg.logEvery;
  let first = 0;
  if (!batches && K > 1 && !opts.costEveryEpoch && !(metrics && (cfg.logAccuracy || valFeeds))) {
    const t = performance.now();
    cost = trainer.run(feeds);
    let perCycle = ((performance.now() - t) / 1000) * K;
    const e0: LogEntry = { epoch: 0, cost };
    log.push(e0);
    opts.onLog?.(e0);
    opts.onEpoch?.(0, cost);
    const total = Math.floor(cfg.epochs / K); // cycles of epochs (cK, cK + K]
    let done = 0;
    while (done < total && perCycle <= CYCLE_CALL_SECONDS) {
      const n = Math.min(perCall(perCycle), total - done, Trainer.MAX_CYCLES);
      const t = performance.now();
      const losses = trainer.cycles(feeds, n, K - 1);
      if (losses === null) break;
      perCycle = (performance.now() - t) / 1000 / n;
      for (let j = 0; j < n; j++) {
        const epoch = (done + j + 1) * K;
        if (opts.onEpoch) for (let q = epoch - K + 1; q < epoch; q++) opts.onEpoch(q, cost);
        cost = losses[j];
        const e: LogEntry = { epoch, cost };
        log.push(e);
        opts.onLog?.(e);
        opts.onEpoch?.(epoch, cost);
      }
      done += n;
    }
    first = done * K + 1;
  }
  for (let epoch = first; epoch <= cfg.epochs; epoch++) {
    const logged = isLogged(epoch);
    const costed = logged || opts.costEveryEpoch === true;
    let acc: number | undefined;
    if (batches) {
      if (costed) cost = batches.epoch(trainer, true);
      else batches.epoch(trainer, false);
      if (logged && metrics && cfg.logAccuracy) acc = accuracy();
    } else {
      // the accuracy of this epoch's forward pass: same parameters as the step about to run
      if (logged && metrics && cfg.logAccuracy) acc = accuracy();
      if (costed) cost = trainer.run(feeds);
      else {
        // this epoch and the next ones up to one that computes the cost: steps on the same batch, run
        // together (one WebAssembly call where the step's plan is one), in calls of about
        // CYCLE_CALL_SECONDS at most (the first is one step, which times them)
        let k = 1;
        while (epoch + k <= cfg.epochs && !isLogged(epoch + k)) k++;
        for (let done = 0, chunk = 1; done < k; ) {
          const n = Math.min(chunk, k - done);
          const t = performance.now();
          trainer.updateTimes(feeds, n);
          chunk = perCall((performance.now() - t) / 1000 / n);
          if (opts.onEpoch) for (let j = done; j < done + n && j < k - 1; j++) opts.onEpoch(epoch + j, cost);
          done += n;
        }
        epoch += k - 1;
      }
    }
    if (logged) {
      const vacc = metrics && valFeeds ? accuracy(valFeeds) : undefined;
      const e: { -readonly [k in keyof LogEntry]: LogEntry[k] } = { epoch, cost };
      if (acc !== undefined) e.accuracy = acc;
      if (vacc !== undefined) e.valAccuracy = vacc;
      log.push(e);
      opts.onLog?.(e);
    }
    opts.onEpoch?.(epoch, cost);
  }
  const seconds = (performance.now() - t0) / 1000;
  const finalAccuracy = metrics ? accuracy() : undefined;
  return { log, params, finalAccuracy, seconds };
}

/**
 * Minibatches of a data set: shuffled, gathered into buffers allocated once; in order, the data set's
 * own consecutive rows (views made once, nothing copied).
 */
class Batches {
  /** Shuffled: the gather buffers and the feeds over them (full batches, and the last one if shorter). */
  private readonly gather: { x: Float32Array; y: Float32Array; full: Record<string, TensorValue>; last: Record<string, TensorValue> | null } | null;
  /** In order: the feeds of each batch, views of the data set. */
  private readonly views: Record<string, TensorValue>[] | null;

  constructor(
    g: Graph,
    private readonly d: Dataset,
    private readonly size: number,
    private readonly gen: Shuffler | null,
  ) {
    const F = d.features;
    if (gen) {
      const x = allocate(size * F, this), y = allocate(size, this);
      const shaped = (rows: number) => feedsFor(g, { ...d, x, y, rows: size }, rows);
      const rest = d.rows % size;
      this.gather = { x, y, full: shaped(size), last: rest ? shaped(rest) : null };
      this.views = null;
    } else {
      this.gather = null;
      this.views = Array.from({ length: Math.ceil(d.rows / size) }, (_, b) => {
        const start = b * size, rows = Math.min(size, d.rows - start);
        return feedsFor(g, { ...d, x: d.x.subarray(start * F), y: d.y.subarray(start), rows }, rows);
      });
    }
  }

  /** One epoch of steps; returns the mean of the batch costs (NaN when not `costed`). */
  epoch(trainer: Trainer, costed: boolean): number {
    const { d, size, gather } = this;
    const order = this.gen ? this.gen.dataLoaderOrder(d.rows) : null;
    const F = d.features;
    let total = 0;
    let count = 0;
    for (let start = 0; start < d.rows; start += size) {
      const n = Math.min(size, d.rows - start);
      let feeds: Record<string, TensorValue>;
      if (gather && order) {
        for (let i = 0; i < n; i++) {
          const r = order[start + i];
          gather.x.set(d.x.subarray(r * F, r * F + F), i * F);
          gather.y[i] = d.y[r];
        }
        feeds = n === size ? gather.full : gather.last!;
      } else feeds = this.views![count];
      if (costed) total += trainer.run(feeds);
      else trainer.update(feeds);
      count++;
    }
    return costed ? total / count : NaN;
  }
}
