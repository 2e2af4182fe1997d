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
 * The learning rate is a leaf of the step (`Trainer.lr`): a number sets it once; a schedule sets it before
 * every step, which then runs alone (a step's rate is read when it starts).
 * Training stops at the first computed cost that is not finite (NaN or ±Infinity: every step after it
 * would only carry it on), with that epoch logged, and the result says so (`diverged`), as it does when
 * the cost stayed finite but a parameter after the last update is not.
 */
import type { Graph } from '../compiler/ir/graph.ts';
import { GraphError } from '../compiler/ir/errors.ts';
import { Executable, type ParamStore, type Runner } from './executable.ts';
import { Trainer } from './trainer.ts';
import type { Dataset } from './data.ts';
import { release, resident } from './kernels/heap.ts';
import { Batches, checkBatchNormRows, feedsFor, splitHoldout, type Shuffler } from './feeds.ts';

export { feedsFor, sampleShape, splitHoldout, xyInputs, type Shuffler } from './feeds.ts';

export interface LogEntry {
  readonly epoch: number;
  readonly cost: number;
  readonly accuracy?: number;
  /** Accuracy on the held-out rows (with `holdout`). */
  readonly valAccuracy?: number;
}

/** Where training diverged: the first computed cost, or a parameter after training, not finite. */
export interface Divergence {
  /**
   * The first epoch whose computed cost is not finite (where training stopped; the log's last entry), or,
   * where every cost was finite, the last epoch, after whose update a parameter is not.
   */
  readonly epoch: number;
  /** That epoch's cost: NaN or ±Infinity, or finite where only the parameters are not. */
  readonly cost: number;
  /** The cost not finite is the initial parameters' (full-batch epoch 0, computed before any update): no learning rate is to blame. */
  readonly initial: boolean;
  /** The epoch before it whose cost was computed and finite, where there was one (the cost is computed on logged epochs). */
  readonly lastFinite?: number;
  /** The parameters (and optimizer state) holding a value that is not finite when training stopped. */
  readonly params: readonly string[];
}

export interface FitResult {
  readonly log: LogEntry[];
  /** Present where training diverged, which stopped it (the parameters are then not the trained ones). */
  readonly diverged?: Divergence;
  /** The model's parameters (and the optimizer's state) after training. */
  readonly params: ParamStore;
  /** Accuracy of the trained parameters on the training data (classifiers). */
  readonly finalAccuracy?: number;
  readonly seconds: number;
}

/**
 * A learning-rate schedule: the rate of each step from its epoch (0..epochs) and its index among all the
 * steps of training (0, 1, ...; with minibatches, several a epoch). As `LambdaLR` in PyTorch, but it gives
 * the rate itself: `(epoch) => 0.1 * 0.95 ** epoch` is `LambdaLR(opt, lambda e: 0.95 ** e)` at lr 0.1.
 */
export type LrSchedule = (epoch: number, step: number) => number;

/** What `fit` needs of a training configuration (a model's `TrainConfig` is one). */
export interface FitConfig {
  /**
   * The learning rate, or a schedule giving each step's; absent, the rate the step was compiled with.
   * Either way the compiled step is the same: the rate is its leaf `optimizer.lr`, written before steps.
   */
  readonly lr?: number | LrSchedule;
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
  /**
   * What runs the metrics graph, instead of an `Executable` fit makes (a model specialised on its input's
   * shape: each shape's own graph, runtime/shaped.ts); the caller's, disposed by the caller.
   */
  readonly metricsRunner?: Runner;
}

/**
 * Trains with a compiled step (the trainer's graph, writing its parameters) on a data set. The model and
 * its compilation are the caller's (`fitModel` in train.ts compiles a model and calls this).
 */
export function fit(trainer: Trainer, data: Dataset, cfg: FitConfig, opts: FitOptions = {}): FitResult {
  checkConfig(trainer.step.name, cfg);
  // the data set is copied once to where the kernels read it in place, and freed when training ends
  const x = resident(data.x), y = resident(data.y);
  try {
    return fitResident(trainer, { ...data, x, y }, cfg, opts);
  } finally {
    release(x, data.x);
    release(y, data.y);
  }
}

/** A value as an error shows it: a string quoted, so that '3' is not taken for the number 3. */
const shown = (v: unknown): string => (typeof v === 'string' ? `'${v}' (a string)` : String(v));

/**
 * A learning rate the step's float32 leaf holds as given: a number 0 or more (PyTorch refuses a negative
 * one), neither rounded to Infinity (1e40) nor to 0 (1e-50), either of which would train silently wrong.
 */
function rateHeld(r: unknown): r is number {
  return typeof r === 'number' && r >= 0 && Number.isFinite(Math.fround(r)) && (r === 0 || Math.fround(r) > 0);
}

/** Counts that must be whole and positive, and the rest in range: else a GraphError naming the field. */
function checkConfig(model: string, cfg: FitConfig): void {
  const bad = (field: string, v: unknown, want: string) => new GraphError(`model ${model}: training ${field} must be ${want}, got ${shown(v)}`);
  if (!Number.isSafeInteger(cfg.epochs) || cfg.epochs < 0) throw bad('epochs', cfg.epochs, 'an integer 0 or more');
  if (!Number.isSafeInteger(cfg.logEvery) || cfg.logEvery < 1) throw bad('logEvery', cfg.logEvery, 'an integer 1 or more');
  if (cfg.batchSize !== undefined && (!Number.isSafeInteger(cfg.batchSize) || cfg.batchSize < 1)) throw bad('batchSize', cfg.batchSize, 'an integer 1 or more');
  if (cfg.lr !== undefined && typeof cfg.lr !== 'function' && !rateHeld(cfg.lr)) throw bad('lr', cfg.lr, 'a number 0 or more that float32 holds (up to 3.4e38; a positive one not below 1.4e-45), or a schedule');
  if (cfg.holdout !== undefined && !(cfg.holdout >= 0 && cfg.holdout < 1)) throw bad('holdout', cfg.holdout, 'a fraction in [0, 1)');
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
  const batch = cfg.batchSize && cfg.batchSize < d.rows ? cfg.batchSize : 0;
  checkBatchNormRows(step, d.rows, batch);
  if (batch && cfg.shuffle && !opts.shuffler) throw new GraphError(`model ${step.name}: shuffled minibatches need a shuffler (the model's generator)`);
  const schedule = typeof cfg.lr === 'function' ? cfg.lr : null;
  if (schedule && !trainer.hasRate) throw new GraphError(`model ${step.name}: a learning-rate schedule needs the step's rate as a leaf ('optimizer.lr', as graphc compiles it)`);
  if (typeof cfg.lr === 'number' && trainer.hasRate) trainer.lr = cfg.lr;
  // what fit makes itself (the metrics' executable, the batches' buffers) is disposed when it ends; the
  // trainer and its store are the caller's
  const made = metricsGraph && !opts.metricsRunner ? new Executable(metricsGraph, params) : null;
  const metrics: Runner | null = metricsGraph && (opts.metricsRunner ?? made);
  const batches = batch ? new Batches(step, d, batch, cfg.shuffle ? opts.shuffler! : null) : null;
  try {
    const accuracy = (f = feeds) => metrics!.value(f, 'accuracy')[0];
    const log: LogEntry[] = [];
    // the step about to run: its rate from the schedule (where there is one), then counted
    let steps = 0;
    const rateFor = schedule ? (epoch: number) => void (trainer.lr = rateOf(schedule, epoch, steps++)) : null;
    const t0 = performance.now();
    let cost = NaN;
    const isLogged = (epoch: number) => epoch % cfg.logEvery === 0 || epoch === cfg.epochs;
    // each computed cost, in order: the last finite one, and the first that is not (where training stops)
    let lastFinite: number | undefined, stopped: number | undefined;
    const diverges = (epoch: number, c: number): boolean => {
      if (Number.isFinite(c)) lastFinite = epoch;
      else stopped = epoch;
      return stopped !== undefined;
    };
    // Full batch with nothing to measure between steps but the cost: after epoch 0, the epochs up to each
    // logged one are a cycle, K − 1 steps without the loss and one with it, and cycles run as one
    // WebAssembly call where the steps' plans are one call (Trainer.cycles). Calls take about
    // CYCLE_CALL_SECONDS at most, judged from epoch 0's step and then from each call, so that the log and
    // the progress come as training goes; where a cycle alone would take longer, the loop below runs the
    // epochs, and splits their steps by time instead.
    const K = cfg.logEvery;
    let first = 0;
    if (!batches && !schedule && K > 1 && !opts.costEveryEpoch && !(metrics && (cfg.logAccuracy || valFeeds))) {
      const t = performance.now();
      cost = trainer.run(feeds);
      let perCycle = ((performance.now() - t) / 1000) * K;
      const e0: LogEntry = { epoch: 0, cost };
      log.push(e0);
      opts.onLog?.(e0);
      opts.onEpoch?.(0, cost);
      const total = Math.floor(cfg.epochs / K); // cycles of epochs (cK, cK + K]
      let done = 0;
      diverges(0, cost);
      while (stopped === undefined && done < total && perCycle <= CYCLE_CALL_SECONDS) {
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
          if (diverges(epoch, cost)) break;
        }
        done += n;
      }
      first = stopped !== undefined ? cfg.epochs + 1 : done * K + 1;
    }
    for (let epoch = first; epoch <= cfg.epochs; epoch++) {
      const logged = isLogged(epoch);
      const costed = logged || opts.costEveryEpoch === true;
      let acc: number | undefined;
      if (batches) {
        const before = rateFor && (() => rateFor(epoch));
        if (costed) cost = batches.epoch(trainer, true, before);
        else batches.epoch(trainer, false, before);
        if (logged && metrics && cfg.logAccuracy) acc = accuracy();
      } else {
        // the accuracy of this epoch's forward pass: same parameters as the step about to run
        if (logged && metrics && cfg.logAccuracy) acc = accuracy();
        rateFor?.(epoch);
        if (costed) cost = trainer.run(feeds);
        else if (rateFor) trainer.update(feeds);
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
      const stop = costed && diverges(epoch, cost);
      if (logged || stop) {
        const vacc = metrics && valFeeds ? accuracy(valFeeds) : undefined;
        const e: { -readonly [k in keyof LogEntry]: LogEntry[k] } = { epoch, cost };
        if (acc !== undefined) e.accuracy = acc;
        if (vacc !== undefined) e.valAccuracy = vacc;
        log.push(e);
        opts.onLog?.(e);
      }
      opts.onEpoch?.(epoch, cost);
      if (stop) break;
    }
    const seconds = (performance.now() - t0) / 1000;
    const bad = [...params.values].filter(([, v]) => !allFinite(v)).map(([name]) => name);
    if (stopped === undefined && !bad.length) return { log, params, finalAccuracy: metrics ? accuracy() : undefined, seconds };
    const diverged: Divergence = stopped !== undefined ? { epoch: stopped, cost, initial: stopped === 0 && !batches, lastFinite, params: bad } : { epoch: cfg.epochs, cost, initial: false, params: bad };
    return { log, params, diverged, seconds };
  } finally {
    made?.dispose();
    batches?.dispose();
  }
}

function allFinite(v: Float32Array): boolean {
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) return false;
  return true;
}

/** A schedule's rate for a step, refused by name where it is not a finite number. */
export function rateOf(schedule: LrSchedule, epoch: number, step: number): number {
  const r = schedule(epoch, step);
  if (!rateHeld(r)) throw new GraphError(`the learning-rate schedule gave ${shown(r)} at epoch ${epoch}, step ${step}: expected a number 0 or more that float32 holds`);
  return r;
}
