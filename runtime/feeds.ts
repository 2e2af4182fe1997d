/**
 * What a training step is fed: a data set's feeds for a graph whose inputs are x [N, ...] and y, the rows
 * held out for evaluation, and minibatches (shuffled into buffers allocated once, or the data set's own
 * consecutive rows).
 */
import type { Graph } from '../compiler/ir/graph.ts';
import type { Node } from '../compiler/ir/node.ts';
import { GraphError } from '../compiler/ir/errors.ts';
import { shapeStr } from '../compiler/ir/shape.ts';
import type { TensorValue } from './executable.ts';
import type { Trainer } from './trainer.ts';
import type { Dataset } from './data.ts';
import { allocate } from './kernels/heap.ts';

/** Draws each epoch's order of the examples (a TorchGenerator: DataLoader(shuffle=True)'s order). */
export interface Shuffler {
  dataLoaderOrder(n: number): ArrayLike<number>;
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

export function xyInputs(g: Graph): { x: Node; y: Node } {
  const inputs = g.inputs;
  const y = inputs.find((n) => n.attrs.name === 'y');
  const others = inputs.filter((n) => n !== y);
  // the features go to the input named x, or to the model's only other input (imported models)
  const x = others.find((n) => n.attrs.name === 'x') ?? (others.length === 1 ? others[0] : undefined);
  if (!x || !y) throw new GraphError(`model ${g.name}: a model trained on CSV data needs a target input 'y' and one feature input ('x')`);
  return { x, y };
}

/** The feeds of a data set (or of its first `rows` rows) for a graph whose inputs are x [N, ...] and y. */
export function feedsFor(g: Graph, d: Dataset, rows = d.rows): Record<string, TensorValue> {
  const { x, y } = xyInputs(g);
  const sample = d.sample ?? [d.features];
  const fits = x.shape.length === sample.length + 1 && sample.every((s, i) => typeof x.shape[i + 1] !== 'number' || x.shape[i + 1] === s);
  if (!fits) {
    const has = d.sample ? `rows of shape [${sample.join(', ')}]` : `${d.features} feature column(s)`;
    throw new GraphError(`model ${g.name} expects x of shape ${shapeStr(x.shape)}, but the data has ${has}`, x.src);
  }
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

  /** One epoch of steps (`before` called before each); returns the mean of the batch costs (NaN when not `costed`). */
  epoch(trainer: Trainer, costed: boolean, before: (() => void) | null = null): number {
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
      before?.();
      if (costed) total += trainer.run(feeds);
      else trainer.update(feeds);
      count++;
    }
    return costed ? total / count : NaN;
  }
}
