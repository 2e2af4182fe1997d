/** Convolutional layers in the style of `torch.nn`, parameters drawn in PyTorch's order from the model's generator. */
import type { Shape } from '../ir/shape.ts';
import * as B from '../ir/build.ts';
import { callerPos } from '../ir/source.ts';
import { checkLeafShape, declareParam, generator } from './model.ts';
import { wrap, type Tensor } from './tensor.ts';
import { GraphError } from '../ir/errors.ts';
import { shapeStr, type Dim } from '../ir/shape.ts';
import type { Node } from '../ir/node.ts';
import { AVG_POOL_OPTIONS, BATCH_NORM_OPTIONS, CONV_OPTIONS, LRN_OPTIONS, POOL_OPTIONS, batchNormNode, checkOptions, localResponseNormNode, type AvgPoolOptions, type LocalResponseNormOptions, type ConvOptions, type Pair, type PoolOptions } from './vision.ts';

const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/** `nn.Conv2d(in, out, kernel, stride, padding, dilation, groups, bias)`: weight [out, in/groups, kh, kw], bias [out]. */
export class Conv2d<const I extends number, const O extends number> {
  readonly weight: Tensor<[O, number, number, number]>;
  readonly bias?: Tensor<[O]>;
  constructor(readonly inChannels: I, readonly outChannels: O, kernel: Pair, readonly options: ConvOptions & { readonly bias?: boolean } = {}, readonly name = 'conv') {
    checkOptions('Conv2d', options, [...CONV_OPTIONS, 'bias']);
    const src = callerPos(), k = pair(kernel), groups = options.groups ?? 1;
    for (const [what, c] of [['input', inChannels], ['output', outChannels]] as const)
      if (c % groups !== 0) throw new GraphError(`Conv2d(${inChannels}, ${outChannels}): ${c} ${what} channels do not split into ${groups} groups`, src);
    const init = generator().conv2dInit(inChannels, outChannels, k, groups, options.bias ?? true);
    this.weight = wrap(declareParam(B.mk('Param', [], { name: `${name}.weight`, shape: [outChannels, inChannels / groups, k[0], k[1]], init: init.weight }, src), src));
    if (init.bias) this.bias = wrap(declareParam(B.mk('Param', [], { name: `${name}.bias`, shape: [outChannels], init: init.bias }, src), src));
  }
  forward<S extends Shape>(x: Tensor<S>): Tensor<[S[0], O, number, number]> {
    const { bias: _, ...conv } = this.options;
    return x.conv2d(this.weight, this.bias, conv);
  }
}

/** `nn.MaxPool2d(kernel, stride = kernel, padding, ceil_mode)`. */
export class MaxPool2d {
  constructor(readonly kernel: Pair, readonly options: PoolOptions = {}) {
    checkOptions('MaxPool2d', options, POOL_OPTIONS);
  }
  forward<S extends Shape>(x: Tensor<S>): Tensor<[S[0], S[1], number, number]> {
    return x.maxPool2d(this.kernel, this.options);
  }
}

/** `nn.AvgPool2d(kernel, stride = kernel, padding, ceil_mode, count_include_pad)`. */
export class AvgPool2d {
  constructor(readonly kernel: Pair, readonly options: AvgPoolOptions = {}) {
    checkOptions('AvgPool2d', options, AVG_POOL_OPTIONS);
  }
  forward<S extends Shape>(x: Tensor<S>): Tensor<[S[0], S[1], number, number]> {
    return x.avgPool2d(this.kernel, this.options);
  }
}

/** `nn.LocalResponseNorm(size, alpha = 1e-4, beta = 0.75, k = 1)` over x [N, C, ...]: no parameters. */
export class LocalResponseNorm {
  constructor(readonly size: number, readonly options: LocalResponseNormOptions = {}) {
    checkOptions('LocalResponseNorm', options, LRN_OPTIONS);
  }
  forward<S extends Shape>(x: Tensor<S>): Tensor<S> {
    return wrap(localResponseNormNode(x.node, this.size, this.options));
  }
}

/** `nn.Dropout(p)`: a mask in training, identity in inference and export. */
export class Dropout {
  constructor(readonly p = 0.5, readonly seed?: number) {}
  forward<S extends Shape>(x: Tensor<S>): Tensor<S> {
    return x.dropout(this.p, this.seed);
  }
}

/** `nn.Flatten()`: axes from 1 on merged. */
export class Flatten {
  forward<S extends Shape>(x: Tensor<S>): Tensor<[S[0], any]> {
    return x.flatten(1);
  }
}

/** `nn.BatchNorm{1,2}d`'s state: weight (ones), bias (zeros), running_mean (zeros), running_var (ones). */
abstract class BatchNormLayer<const C extends number> {
  readonly weight: Tensor<[C]>;
  readonly bias: Tensor<[C]>;
  /** Running statistics: model state the train step moves (not trained, no gradient), read in inference. */
  readonly runningMean: Tensor<[C]>;
  readonly runningVar: Tensor<[C]>;
  constructor(readonly numFeatures: C, readonly eps: number, readonly momentum: number, readonly name: string) {
    const src = callerPos();
    checkLeafShape(`parameter '${name}.weight'`, [numFeatures], false, src);
    const leaf = (what: string, fill: number): Tensor<[C]> =>
      wrap(declareParam(B.mk('Param', [], { name: `${name}.${what}`, shape: [numFeatures], init: new Float32Array(numFeatures).fill(fill) }, src), src));
    this.weight = leaf('weight', 1);
    this.bias = leaf('bias', 0);
    this.runningMean = leaf('running_mean', 0);
    this.runningVar = leaf('running_var', 1);
  }
  protected apply(x: Node, ranks: readonly number[], layer: string): Node {
    if (!ranks.includes(x.shape.length)) {
      throw new GraphError(`${layer}(${this.numFeatures}): expects x of rank ${ranks.join(' or ')}, got ${shapeStr(x.shape)}`, callerPos());
    }
    if (x.shape[1] !== this.numFeatures) throw new GraphError(`${layer}(${this.numFeatures}): x has ${x.shape[1]} channels (axis 1 of ${shapeStr(x.shape)})`, callerPos());
    return batchNormNode(x, this.weight.node, this.bias.node, this.runningMean.node, this.runningVar.node, { eps: this.eps, momentum: this.momentum });
  }
}

/**
 * `nn.BatchNorm1d(C, eps = 1e-5, momentum = 0.1)` over x [N, C] or [N, C, L]: batch statistics and moving
 * running statistics in training, the running statistics in `predict` and the exported graph.
 */
export class BatchNorm1d<const C extends number> extends BatchNormLayer<C> {
  constructor(numFeatures: C, options: { readonly eps?: number; readonly momentum?: number } = {}, name = 'bn') {
    checkOptions('BatchNorm1d', options, BATCH_NORM_OPTIONS);
    super(numFeatures, options.eps ?? 1e-5, options.momentum ?? 0.1, name);
  }
  forward<S extends readonly [Dim, C] | readonly [Dim, C, Dim]>(x: Tensor<S>): Tensor<S> {
    return wrap(this.apply(x.node, [2, 3], 'BatchNorm1d'));
  }
}

/** `nn.BatchNorm2d(C, eps = 1e-5, momentum = 0.1)` over x [N, C, H, W], as BatchNorm1d. */
export class BatchNorm2d<const C extends number> extends BatchNormLayer<C> {
  constructor(numFeatures: C, options: { readonly eps?: number; readonly momentum?: number } = {}, name = 'bn') {
    checkOptions('BatchNorm2d', options, BATCH_NORM_OPTIONS);
    super(numFeatures, options.eps ?? 1e-5, options.momentum ?? 0.1, name);
  }
  forward<S extends readonly [Dim, C, Dim, Dim]>(x: Tensor<S>): Tensor<S> {
    return wrap(this.apply(x.node, [4], 'BatchNorm2d'));
  }
}
