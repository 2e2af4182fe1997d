/**
 * The node builders behind the DSL's convolution, pooling, normalization and dropout (Tensor methods in
 * tensor.ts, free functions in functions.ts). Options follow torch.nn.functional's names and defaults.
 */
import type { Node } from '../ir/node.ts';
import * as B from '../ir/build.ts';
import { convAttrs } from '../ops/conv.ts';
import { poolAttrs } from '../ops/pool.ts';
import { callerPos } from '../ir/source.ts';
import { GraphError } from '../ir/errors.ts';

/** A size for both spatial axes, or [height, width]. */
export type Pair = number | readonly [number, number];
const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);
const pads = (v: Pair): number[] => { const [h, w] = pair(v); return [h, w, h, w]; };

export interface ConvOptions { readonly stride?: Pair; readonly padding?: Pair; readonly dilation?: Pair; readonly groups?: number }
export interface PoolOptions { readonly stride?: Pair; readonly padding?: Pair; readonly ceilMode?: boolean }
export interface AvgPoolOptions extends PoolOptions { readonly countIncludePad?: boolean }
export interface BatchNormOptions {
  /** Batch statistics, running statistics updated by each training step (default); false: the running ones. */
  readonly training?: boolean;
  readonly momentum?: number;
  readonly eps?: number;
}

/** F.conv2d(x, weight, bias, stride, padding, dilation, groups). */
export function conv2dNode(x: Node, weight: Node, bias: Node | undefined, o: ConvOptions = {}): Node {
  const attrs = convAttrs({ stride: pair(o.stride ?? 1), pads: pads(o.padding ?? 0), dilation: pair(o.dilation ?? 1), group: o.groups ?? 1 });
  return B.mk('Conv', bias ? [x, weight, bias] : [x, weight], attrs);
}

/** PyTorch's pooling rule: the padding at most half the kernel. */
function poolPads(op: string, kernel: Pair, padding: Pair): number[] {
  const k = pair(kernel), p = pads(padding);
  if (k.some((kk, i) => p[i] * 2 > kk)) throw new GraphError(`${op}: padding [${p}] must be at most half the kernel [${k}]`, callerPos());
  return p;
}

/** F.max_pool2d(x, kernel, stride = kernel, padding, ceil_mode). */
export const maxPool2dNode = (x: Node, kernel: Pair, o: PoolOptions = {}): Node =>
  B.mk('MaxPool', [x], poolAttrs({ kernel: pair(kernel), stride: pair(o.stride ?? kernel), pads: poolPads('MaxPool', kernel, o.padding ?? 0), ceil: o.ceilMode ?? false }));

/** F.avg_pool2d(x, kernel, stride = kernel, padding, ceil_mode, count_include_pad). */
export const avgPool2dNode = (x: Node, kernel: Pair, o: AvgPoolOptions = {}): Node =>
  B.mk('AvgPool', [x], poolAttrs({ kernel: pair(kernel), stride: pair(o.stride ?? kernel), pads: poolPads('AvgPool', kernel, o.padding ?? 0), ceil: o.ceilMode ?? false, countIncludePad: o.countIncludePad ?? true }, true));

/** F.batch_norm over axis 1 of x [N, C, ...]. */
export function batchNormNode(x: Node, scale: Node, bias: Node, runningMean: Node, runningVar: Node, o: BatchNormOptions = {}): Node {
  const eps = o.eps ?? 1e-5;
  return o.training === false
    ? B.mk('BatchNorm', [x, scale, bias, runningMean, runningVar], { eps })
    : B.mk('BatchNormTrain', [x, scale, bias, runningMean, runningVar], { eps, momentum: o.momentum ?? 0.1 });
}

let dropouts = 0;
/** F.dropout(x, p) in training; identity in inference and export. `seed` fixes the mask stream. */
export function dropoutNode(x: Node, p: number, seed?: number): Node {
  const mask = B.mk('DropoutMask', [x], { p, seed: seed ?? 0x2545f491 + 0x9e3779b9 * ++dropouts });
  return B.mk('Dropout', [x, mask], { p });
}
