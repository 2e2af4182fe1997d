/**
 * The node builders behind the DSL's convolution, pooling, normalization and dropout (Tensor methods in
 * tensor.ts, free functions in functions.ts). Options follow torch.nn.functional's names and defaults.
 */
import type { Node } from '../ir/node.ts';
import * as B from '../ir/build.ts';
import { convAttrs } from '../ops/conv.ts';
import { poolAttrs } from '../ops/pool.ts';
import { torchLead } from '../ops/lrn.ts';
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
/** F.grid_sample's options (PyTorch's defaults: bilinear, zeros, alignCorners false). */
export interface GridSampleOptions { readonly mode?: 'bilinear' | 'nearest' | 'bicubic'; readonly paddingMode?: 'zeros' | 'border' | 'reflection'; readonly alignCorners?: boolean }
/** F.local_response_norm's options (PyTorch's names and defaults: alpha 1e-4, beta 0.75, k 1). */
export interface LocalResponseNormOptions { readonly alpha?: number; readonly beta?: number; readonly k?: number }

/**
 * Options are checked by name as they arrive from JavaScript, where the types do not stop one graphc does
 * not have (PyTorch's `padding_mode`, BatchNorm's `affine`): it would be ignored, and the model would train
 * as something else than was written.
 */
export function checkOptions(what: string, o: object | undefined, known: readonly string[]): void {
  if (o === undefined || o === null) return;
  if (typeof o !== 'object') throw new GraphError(`${what}: options must be an object, got ${typeof o}`, callerPos());
  for (const k of Object.keys(o))
    if (!known.includes(k)) throw new GraphError(`${what}: no option '${k}' (graphc's ${what} takes ${known.join(', ')})`, callerPos());
}
/** The options each op takes (its layer's are the same, Conv2d's with `bias`: vision-layers.ts). */
export const CONV_OPTIONS = ['stride', 'padding', 'dilation', 'groups'];
export const POOL_OPTIONS = ['stride', 'padding', 'ceilMode'];
export const AVG_POOL_OPTIONS = [...POOL_OPTIONS, 'countIncludePad'];
export const BATCH_NORM_OPTIONS = ['eps', 'momentum'];
export const LRN_OPTIONS = ['alpha', 'beta', 'k'];

/** F.conv2d(x, weight, bias, stride, padding, dilation, groups). */
export function conv2dNode(x: Node, weight: Node, bias: Node | undefined, o: ConvOptions = {}): Node {
  checkOptions('conv2d', o, CONV_OPTIONS);
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
export function maxPool2dNode(x: Node, kernel: Pair, o: PoolOptions = {}): Node {
  checkOptions('maxPool2d', o, POOL_OPTIONS);
  return B.mk('MaxPool', [x], poolAttrs({ kernel: pair(kernel), stride: pair(o.stride ?? kernel), pads: poolPads('MaxPool', kernel, o.padding ?? 0), ceil: o.ceilMode ?? false }));
}

/** F.avg_pool2d(x, kernel, stride = kernel, padding, ceil_mode, count_include_pad). */
export function avgPool2dNode(x: Node, kernel: Pair, o: AvgPoolOptions = {}): Node {
  checkOptions('avgPool2d', o, AVG_POOL_OPTIONS);
  return B.mk('AvgPool', [x], poolAttrs({ kernel: pair(kernel), stride: pair(o.stride ?? kernel), pads: poolPads('AvgPool', kernel, o.padding ?? 0), ceil: o.ceilMode ?? false, countIncludePad: o.countIncludePad ?? true }, true));
}

export interface InterpolateOptions {
  /** The output's [height, width] (or one size for both); or else `scaleFactor`. */
  readonly size?: Pair;
  /** The output is floor(input · factor) on each spatial axis. */
  readonly scaleFactor?: number | readonly [number, number];
  /** 'nearest' (the default) or 'bilinear'. */
  readonly mode?: 'nearest' | 'bilinear';
  /** Bilinear only: the corner pixels' centres align (PyTorch's align_corners). */
  readonly alignCorners?: boolean;
}

/**
 * F.interpolate(x, size or scale_factor, mode, align_corners) of x [N, C, H, W], as a Resize: nearest reads
 * floor(dst / factor) (ONNX's asymmetric coordinates, nearest_mode floor); bilinear reads half-pixel
 * coordinates clamped at the edges, or with alignCorners (in − 1)/(out − 1) steps. A given factor is the
 * coordinate scale (PyTorch's, recompute_scale_factor unset); a size gives out/in.
 */
export function interpolateNode(x: Node, o: InterpolateOptions): Node {
  checkOptions('interpolate', o, ['size', 'scaleFactor', 'mode', 'alignCorners']);
  const [, , h, w] = x.shape;
  if (x.shape.length !== 4 || typeof h !== 'number' || typeof w !== 'number') throw new GraphError(`interpolate: expects x [N, C, H, W] with static H and W, got [${x.shape}]`, callerPos());
  const mode = o.mode ?? 'nearest';
  if (mode !== 'nearest' && mode !== 'bilinear') throw new GraphError(`interpolate: mode '${mode}' (graphc has 'nearest' and 'bilinear')`, callerPos());
  if ((o.size === undefined) === (o.scaleFactor === undefined)) throw new GraphError('interpolate: give exactly one of size and scaleFactor', callerPos());
  if (o.alignCorners !== undefined && mode === 'nearest') throw new GraphError('interpolate: alignCorners applies to bilinear only', callerPos());
  let out: [number, number], scales: [number, number];
  if (o.size !== undefined) {
    out = pair(o.size);
    scales = [out[0] / h, out[1] / w];
  } else {
    const f = typeof o.scaleFactor === 'number' ? [o.scaleFactor, o.scaleFactor] : [o.scaleFactor![0], o.scaleFactor![1]];
    out = [Math.floor(h * f[0]), Math.floor(w * f[1])];
    // align_corners steps by (in − 1)/(out − 1), whatever the factor (exported as sizes, for that reason)
    scales = o.alignCorners ? [out[0] / h, out[1] / w] : [f[0], f[1]];
  }
  if (out.some((d) => !Number.isSafeInteger(d) || d < 1)) throw new GraphError(`interpolate: output size [${out}] from [${h}, ${w}]`, callerPos());
  const coord = mode === 'nearest' ? 'asymmetric' : o.alignCorners ? 'align_corners' : 'half_pixel';
  return B.mk('Resize', [x], { mode: mode === 'nearest' ? 'nearest' : 'linear', coord, nearest: 'floor', cubicA: -0.75, exclude: false, scales: [1, 1, ...scales], shape: [x.shape[0], x.shape[1], ...out] as number[], sizes: o.size !== undefined || o.alignCorners === true });
}

/** F.grid_sample(x, grid, mode, padding_mode, align_corners) of x [N, C, H, W] at grid [N, Ho, Wo, 2] (ONNX's GridSample). */
export function gridSampleNode(x: Node, grid: Node, o: GridSampleOptions = {}): Node {
  checkOptions('gridSample', o, ['mode', 'paddingMode', 'alignCorners']);
  const mode = o.mode ?? 'bilinear', padding = o.paddingMode ?? 'zeros';
  if (!['bilinear', 'nearest', 'bicubic'].includes(mode)) throw new GraphError(`gridSample: mode '${mode}' (graphc has 'bilinear', 'nearest' and 'bicubic')`, callerPos());
  if (!['zeros', 'border', 'reflection'].includes(padding)) throw new GraphError(`gridSample: paddingMode '${padding}' (graphc has 'zeros', 'border' and 'reflection')`, callerPos());
  return B.mk('GridSample', [x, grid], { mode, padding, align: o.alignCorners ?? false });
}

/**
 * F.local_response_norm(x, size, alpha, beta, k) over axis 1 of x [N, C, ...]: PyTorch's window, which for
 * an even size starts size/2 channels before (ONNX's LRN starts one after that: compiler/ops/lrn.ts).
 */
export function localResponseNormNode(x: Node, size: number, o: LocalResponseNormOptions = {}): Node {
  checkOptions('localResponseNorm', o, LRN_OPTIONS);
  if (!Number.isSafeInteger(size) || size < 1) throw new GraphError(`localResponseNorm: size ${size} (a positive integer expected)`, callerPos());
  return B.mk('LRN', [x], { size, alpha: o.alpha ?? 1e-4, beta: o.beta ?? 0.75, bias: o.k ?? 1, lead: torchLead(size) });
}

/** F.batch_norm over axis 1 of x [N, C, ...]. */
export function batchNormNode(x: Node, scale: Node, bias: Node, runningMean: Node, runningVar: Node, o: BatchNormOptions = {}): Node {
  checkOptions('batchNorm', o, ['training', ...BATCH_NORM_OPTIONS]);
  const eps = o.eps ?? 1e-5;
  return o.training === false
    ? B.mk('BatchNorm', [x, scale, bias, runningMean, runningVar], { eps })
    : B.mk('BatchNormTrain', [x, scale, bias, runningMean, runningVar], { eps, momentum: o.momentum ?? 0.1 });
}

/** Dropouts without a seed built so far in this build: the nth one's mask stream is seeded by n. */
let dropouts = 0;

/**
 * Runs a model's build (`fn`) with its own count of dropouts, so that the nth unseeded dropout of a build
 * draws the same masks whatever was built before it in the process (a second build, a second `train`).
 */
export function withDropoutCount<T>(fn: () => T): T {
  const prev = dropouts;
  dropouts = 0;
  try {
    return fn();
  } finally {
    dropouts = prev;
  }
}

/** F.dropout(x, p) in training; identity in inference and export. `seed` fixes the mask stream. */
export function dropoutNode(x: Node, p: number, seed?: number): Node {
  const mask = B.mk('DropoutMask', [x], { p, seed: seed ?? 0x2545f491 + 0x9e3779b9 * ++dropouts });
  return B.mk('Dropout', [x, mask], { p });
}
