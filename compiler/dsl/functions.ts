/** Free-function forms of the DSL ops, for formulas that read like the math (`sub(1, y)`, `log(h)`). */
import type { Shape } from '../ir/shape.ts';
import type { Node } from '../ir/node.ts';
import * as B from '../ir/build.ts';
import { Tensor, wrap } from './tensor.ts';
import type { Broadcast, BroadcastCheck } from './shape-types.ts';
import type { Dim } from '../ir/shape.ts';
import { batchNormNode, gridSampleNode, localResponseNormNode, type GridSampleOptions, type AvgPoolOptions, type BatchNormOptions, type LocalResponseNormOptions, type ConvOptions, type InterpolateOptions, type Pair, type PoolOptions } from './vision.ts';

type Operand<T extends Shape> = Tensor<T> | number;
type Bin = <const A extends Shape = [], const C extends Shape = []>(a: Operand<A>, b: (Tensor<C> & BroadcastCheck<A, C>) | number) => Tensor<Broadcast<A, C>>;

const node = (x: { readonly node: Node } | number) => (typeof x === 'number' ? B.scalar(x) : x.node);
const binary = (op: string): Bin => ((a: { readonly node: Node } | number, b: { readonly node: Node } | number) => wrap(B.mk(op, [node(a), node(b)]))) as unknown as Bin;

export const add = binary('Add');
export const sub = binary('Sub');
export const mul = binary('Mul');
export const div = binary('Div');
export const maximum = binary('Max');

export const neg = <S extends Shape>(x: Tensor<S>): Tensor<S> => x.neg();
export const exp = <S extends Shape>(x: Tensor<S>): Tensor<S> => x.exp();
export const log = <S extends Shape>(x: Tensor<S>): Tensor<S> => x.log();
export const sigmoid = <S extends Shape>(x: Tensor<S>): Tensor<S> => x.sigmoid();
export const relu = <S extends Shape>(x: Tensor<S>): Tensor<S> => x.relu();
export const leakyRelu = <S extends Shape>(x: Tensor<S>, alpha = 0.01): Tensor<S> => x.leakyRelu(alpha);
export const elu = <S extends Shape>(x: Tensor<S>, alpha = 1): Tensor<S> => x.elu(alpha);
export const hardSigmoid = <S extends Shape>(x: Tensor<S>, alpha = 0.2, beta = 0.5): Tensor<S> => x.hardSigmoid(alpha, beta);
export const clamp = <S extends Shape>(x: Tensor<S>, min?: number, max?: number): Tensor<S> => x.clamp(min, max);
export const tanh = <S extends Shape>(x: Tensor<S>): Tensor<S> => x.tanh();
export const abs = <S extends Shape>(x: Tensor<S>): Tensor<S> => x.abs();
export const softplus = <S extends Shape>(x: Tensor<S>): Tensor<S> => x.softplus();
export const sqrt = <S extends Shape>(x: Tensor<S>): Tensor<S> => x.sqrt();
export const floor = <S extends Shape>(x: Tensor<S>): Tensor<S> => x.floor();
export const ceil = <S extends Shape>(x: Tensor<S>): Tensor<S> => x.ceil();
export const round = <S extends Shape>(x: Tensor<S>): Tensor<S> => x.round();
export const sign = <S extends Shape>(x: Tensor<S>): Tensor<S> => x.sign();
export const sin = <S extends Shape>(x: Tensor<S>): Tensor<S> => x.sin();
export const cos = <S extends Shape>(x: Tensor<S>): Tensor<S> => x.cos();
export const tan = <S extends Shape>(x: Tensor<S>): Tensor<S> => x.tan();
export const asin = <S extends Shape>(x: Tensor<S>): Tensor<S> => x.asin();
export const acos = <S extends Shape>(x: Tensor<S>): Tensor<S> => x.acos();
export const atan = <S extends Shape>(x: Tensor<S>): Tensor<S> => x.atan();
export const sinh = <S extends Shape>(x: Tensor<S>): Tensor<S> => x.sinh();
export const cosh = <S extends Shape>(x: Tensor<S>): Tensor<S> => x.cosh();
export const asinh = <S extends Shape>(x: Tensor<S>): Tensor<S> => x.asinh();
export const acosh = <S extends Shape>(x: Tensor<S>): Tensor<S> => x.acosh();
export const atanh = <S extends Shape>(x: Tensor<S>): Tensor<S> => x.atanh();
export const mean = <S extends Shape>(x: Tensor<S>): Tensor<[]> => x.mean();
export const sum = <S extends Shape>(x: Tensor<S>): Tensor<[]> => x.sum();

/** Binary cross-entropy of probabilities `h` against targets `y`, averaged (PyTorch's `F.binary_cross_entropy`). */
export const binaryCrossEntropy = <S extends Shape>(h: Tensor<S>, y: Tensor<S>): Tensor<[]> => wrap(B.mk('BCE', [h.node, y.node]));

/** Fraction of positions where the bool `prediction` (as 0/1) equals the target `y`. */
export const accuracy = <S extends Shape>(prediction: Tensor<S>, y: Tensor<S>): Tensor<[]> => wrap<[]>(B.mean(B.cast(B.mk('Equal', [B.cast(prediction.node, 'f32'), y.node]), 'f32')));

/** Softmax along the last axis. */
export const softmax = <S extends Shape>(x: Tensor<S>, axis = -1): Tensor<S> => x.softmax(axis);
export const logSoftmax = <S extends Shape>(x: Tensor<S>, axis = -1): Tensor<S> => x.logSoftmax(axis);

/** One row per index: 1 at the index, 0 elsewhere. */
export const oneHot = <const N extends Shape[number], const C extends number>(y: Tensor<[N]>, classes: C): Tensor<[N, C]> =>
  wrap(B.mk('OneHot', [y.node], { classes }));

/** Cross-entropy of scores [N, C] against class indices [N] (PyTorch's F.cross_entropy), averaged. */
export const crossEntropy = <const N extends Shape[number], const C extends Shape[number]>(scores: Tensor<[N, C]>, classes: Tensor<[N]>): Tensor<[]> =>
  wrap(B.mk('CrossEntropy', [scores.node, classes.node]));

/** Negative log-likelihood of log-probabilities [N, C] at class indices [N] (F.nll_loss), averaged. */
export const nllLoss = <const N extends Shape[number], const C extends Shape[number]>(logProbs: Tensor<[N, C]>, classes: Tensor<[N]>): Tensor<[]> =>
  wrap(B.mk('NLL', [logProbs.node, classes.node]));

/** Mean squared error (F.mse_loss). */
export const mse = <S extends Shape>(prediction: Tensor<S>, target: Tensor<S>): Tensor<[]> => {
  const d = B.sub(prediction.node, target.node);
  return wrap(B.mean(B.mul(d, d)));
};

/** Fraction of rows whose largest score is at the target class index. */
export const multiclassAccuracy = <const N extends Shape[number], const C extends Shape[number]>(scores: Tensor<[N, C]>, classes: Tensor<[N]>): Tensor<[]> =>
  wrap(B.mean(B.cast(B.mk('Equal', [B.cast(B.mk('ArgMax', [scores.node], { axis: 1 }), 'f32'), classes.node]), 'f32')));

/** F.conv2d: x [N, C, H, W] with weight [O, C/groups, KH, KW] and an optional bias [O]. */
export const conv2d = <S extends Shape, const W extends Shape>(x: Tensor<S>, weight: Tensor<W>, bias?: Tensor<[W[0]]>, options?: ConvOptions) => x.conv2d(weight, bias, options);
/** F.max_pool2d. */
export const maxPool2d = <S extends Shape>(x: Tensor<S>, kernel: Pair, options?: PoolOptions) => x.maxPool2d(kernel, options);
/** F.avg_pool2d. */
export const avgPool2d = <S extends Shape>(x: Tensor<S>, kernel: Pair, options?: AvgPoolOptions) => x.avgPool2d(kernel, options);
/** F.interpolate of x [N, C, H, W]: mode 'nearest' (the default) or 'bilinear', a size or a scale factor. */
export const interpolate = <S extends Shape>(x: Tensor<S>, options: InterpolateOptions) => x.interpolate(options);
/** F.adaptive_avg_pool2d(x, 1). */
export const globalAvgPool = <S extends Shape>(x: Tensor<S>) => x.globalAvgPool();
/** torch.flatten(x, axis). */
export const flatten = <S extends Shape>(x: Tensor<S>, axis = 1) => x.flatten(axis);
/** F.dropout in training; identity in inference and export. */
export const dropout = <S extends Shape>(x: Tensor<S>, p = 0.5, seed?: number): Tensor<S> => x.dropout(p, seed);
/**
 * F.batch_norm over axis 1 of x [N, C, ...]: per-channel scale, bias and running statistics [C]. In training
 * (the default) the batch's statistics normalize and the running ones move by `momentum`.
 */
export const batchNorm = <S extends Shape, const C extends Dim>(x: Tensor<S>, scale: Tensor<[C]>, bias: Tensor<[C]>, runningMean: Tensor<[C]>, runningVar: Tensor<[C]>, options?: BatchNormOptions): Tensor<S> =>
  wrap(batchNormNode(x.node, scale.node, bias.node, runningMean.node, runningVar.node, options));
/** F.local_response_norm(x, size, alpha = 1e-4, beta = 0.75, k = 1) over axis 1 of x [N, C, ...] (ONNX's LRN; PyTorch's window for an even size). */
export const localResponseNorm = <S extends Shape>(x: Tensor<S>, size: number, options?: LocalResponseNormOptions): Tensor<S> => wrap(localResponseNormNode(x.node, size, options));
/** F.grid_sample(x, grid, mode = 'bilinear', padding_mode = 'zeros', align_corners = False): x [N, C, H, W] read at grid [N, Ho, Wo, 2] in [−1, 1]. */
export const gridSample = <S extends Shape, G extends Shape>(x: Tensor<S>, grid: Tensor<G>, options?: GridSampleOptions): Tensor<[S[0], S[1], G[1], G[2]]> =>
  wrap(gridSampleNode(x.node, grid.node, options));
