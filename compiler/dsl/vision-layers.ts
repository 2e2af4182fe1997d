/** Convolutional layers in the style of `torch.nn`, parameters drawn in PyTorch's order from the model's generator. */
import type { Shape } from '../ir/shape.ts';
import * as B from '../ir/build.ts';
import { callerPos } from '../ir/source.ts';
import { generator } from './model.ts';
import { wrap, type Tensor } from './tensor.ts';
import type { AvgPoolOptions, ConvOptions, Pair, PoolOptions } from './vision.ts';

const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/** `nn.Conv2d(in, out, kernel, stride, padding, dilation, groups, bias)`: weight [out, in/groups, kh, kw], bias [out]. */
export class Conv2d<const I extends number, const O extends number> {
  readonly weight: Tensor<[O, number, number, number]>;
  readonly bias?: Tensor<[O]>;
  constructor(readonly inChannels: I, readonly outChannels: O, kernel: Pair, readonly options: ConvOptions & { readonly bias?: boolean } = {}, readonly name = 'conv') {
    const src = callerPos(), k = pair(kernel), groups = options.groups ?? 1;
    const init = generator().conv2dInit(inChannels, outChannels, k, groups, options.bias ?? true);
    this.weight = wrap(B.mk('Param', [], { name: `${name}.weight`, shape: [outChannels, inChannels / groups, k[0], k[1]], init: init.weight }, src));
    if (init.bias) this.bias = wrap(B.mk('Param', [], { name: `${name}.bias`, shape: [outChannels], init: init.bias }, src));
  }
  forward<S extends Shape>(x: Tensor<S>): Tensor<[S[0], O, number, number]> {
    return x.conv2d(this.weight, this.bias, this.options);
  }
}

/** `nn.MaxPool2d(kernel, stride = kernel, padding, ceil_mode)`. */
export class MaxPool2d {
  constructor(readonly kernel: Pair, readonly options: PoolOptions = {}) {}
  forward<S extends Shape>(x: Tensor<S>): Tensor<[S[0], S[1], number, number]> {
    return x.maxPool2d(this.kernel, this.options);
  }
}

/** `nn.AvgPool2d(kernel, stride = kernel, padding, ceil_mode, count_include_pad)`. */
export class AvgPool2d {
  constructor(readonly kernel: Pair, readonly options: AvgPoolOptions = {}) {}
  forward<S extends Shape>(x: Tensor<S>): Tensor<[S[0], S[1], number, number]> {
    return x.avgPool2d(this.kernel, this.options);
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
