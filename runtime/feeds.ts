/**
 * What a training step is fed: a data set's feeds for a graph whose inputs are x [N, ...] and y, the rows
 * held out for evaluation, and minibatches (shuffled into buffers allocated once, or the data set's own
 * consecutive rows).
 */
import type { Graph } from '../compiler/ir/graph.ts';
import type { Node } from '../compiler/ir/node.ts';
import { GraphError } from '../compiler/ir/errors.ts';
import { shapeStr } from '../compiler/ir/shape.ts';
import { posStr } from '../compiler/ir/source.ts';
import type { TensorValue } from './executable.ts';
import type { Trainer } from './trainer.ts';
import { DataError, type Dataset } from './data.ts';
import { allocate, heap } from './kernels/heap.ts';

/** Draws each epoch's order of the examples (a TorchGenerator: DataLoader(shuffle=True)'s order). */
export interface Shuffler {
  dataLoaderOrder(n: number): ArrayLike<number>;
}

/** How many of `rows` rows train where `holdout` of them are held out (`splitHoldout`'s count). */
export const trainingRows = (rows: number, holdout = 0): number => (holdout ? Math.round(rows * (1 - holdout)) : rows);

/** The rows of the first step: a minibatch, or every training row where the batch is not smaller. */
export const firstBatchRows = (rows: number, cfg: { readonly batchSize?: number; readonly holdout?: number }): number => {
  const n = trainingRows(rows, cfg.holdout);
  return cfg.batchSize && cfg.batchSize < n ? cfg.batchSize : n;
};

/** The first rows for training and the rest held out, without copying. */
export function splitHoldout(d: Dataset, fraction: number): { train: Dataset; val: Dataset | null } {
  if (!fraction) return { train: d, val: null };
  const n = trainingRows(d.rows, fraction);
  if (n <= 0 || n >= d.rows) throw new GraphError(`holdout ${fraction} leaves no rows for training or for evaluation (${d.rows} rows)`);
  const F = d.features;
  return {
    train: { ...d, x: d.x.subarray(0, n * F), y: d.y.subarray(0, n), rows: n },
    val: { ...d, x: d.x.subarray(n * F), y: d.y.subarray(n), rows: d.rows - n },
  };
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
 * Minibatches of a data set: shuffled, gathered into buffers allocated once; in order, the data set's
 * own consecutive rows (views made once, nothing copied).
 */
export class Batches {
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
      // not cleared: each batch's rows are gathered into them before a step reads them (the last, shorter
      // batch's feeds cover only the rows it gathers)
      const x = allocate(size * F, this, false), y = allocate(size, this, false);
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

  /** Frees the gather buffers in the heap now (`fit` does when training ends); not to be used after. */
  dispose(): void {
    const h = heap();
    if (h && this.gather) {
      h.free(this.gather.x);
      h.free(this.gather.y);
    }
  }

  /** One epoch of steps (`before` called before each); returns the mean of the batch costs (NaN when not `costed`). */
  epoch(trainer: Trainer, costed: boolean, before: (() => void) | null = null): number {
    const { d, size, gather } = this;
    const order = this.gen ? this.gen.dataLoaderOrder(d.rows) : null;
    const F = d.features;
    let total = 0;
    let count = 0;
    // where the rows and the batch are views of one buffer (the heap), each row is moved within it
    // (copyWithin), which makes no view per row
    const whole = gather && gather.x.buffer === d.x.buffer ? new Float32Array(d.x.buffer) : null;
    for (let start = 0; start < d.rows; start += size) {
      const n = Math.min(size, d.rows - start);
      let feeds: Record<string, TensorValue>;
      if (gather && order) {
        const to = gather.x.byteOffset >> 2, from = d.x.byteOffset >> 2;
        for (let i = 0; i < n; i++) {
          const r = order[start + i];
          if (whole) whole.copyWithin(to + i * F, from + r * F, from + r * F + F);
          else gather.x.set(d.x.subarray(r * F, r * F + F), i * F);
          gather.y[i] = d.y[r];
        }
        feeds = n === size ? gather.full : gather.last!;
      } else feeds = this.views![count];
      before?.();
      if (costed) total += trainer.run(feeds);
      else trainer.update(feeds);
      count++;
    }
    return costed ? total / count : NaN;
  }
}

/**
 * Refuses a training whose batches give a batch normalization one value a channel (a batch of one row
 * where the layer's input has no other axis: [N, C], [N, C, 1]): its variance over that value is 0 and the
 * running variance's unbiased estimate divides by M − 1 = 0, so the model's statistics become NaN (said
 * as a divergence, with a smaller lr as the advice). PyTorch refuses such a batch too ("Expected more than
 * 1 value per channel when training"). `batch` 0: the whole data set is one batch.
 */
export function checkBatchNormRows(step: Graph, rows: number, batch: number): void {
  const what = !batch ? (rows === 1 ? 'the data (1 row)' : null) : batch === 1 ? 'each minibatch (batch size 1)' : rows % batch === 1 ? `the last minibatch (${rows} rows at batch size ${batch})` : null;
  if (!what) return;
  const bn = step.nodes.find((n) => (n.op === 'BatchNormTrain' || n.op === 'BatchNormRunning') && n.inputs[0].shape.slice(2).every((d) => d === 1));
  if (!bn) return;
  const fix = batch ? 'choose a batch size that leaves no minibatch of 1 row' : 'give it more rows';
  throw new GraphError(`model ${step.name}: the batch normalization here gets 1 value a channel from ${what}: training needs more than 1, as PyTorch's does; ${fix}`, bn.src);
}
