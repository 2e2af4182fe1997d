/** Layers in the style of `torch.nn`: parameters created (and initialized) in PyTorch's order. */
import type { Shape } from '../ir/shape.ts';
import * as B from '../ir/build.ts';
import { callerPos } from '../ir/source.ts';
import { declareParam, generator } from './model.ts';
import { wrap, type Tensor } from './tensor.ts';

/**
 * `nn.Linear(inFeatures, outFeatures)`: weight [out, in] and bias [out], initialized as PyTorch does
 * (kaiming-uniform weight, then uniform bias in ±1/√in) from the model's generator. `y = x·Wᵀ + b`.
 */
export class Linear<const I extends number, const O extends number> {
  readonly weight: Tensor<[O, I]>;
  readonly bias: Tensor<[O]>;
  constructor(readonly inFeatures: I, readonly outFeatures: O, readonly name = 'linear') {
    const src = callerPos();
    const { weight, bias } = generator().linearInit(inFeatures, outFeatures);
    this.weight = wrap(declareParam(B.mk('Param', [], { name: `${name}.weight`, shape: [outFeatures, inFeatures], init: weight }, src), src));
    this.bias = wrap(declareParam(B.mk('Param', [], { name: `${name}.bias`, shape: [outFeatures], init: bias }, src), src));
  }
  forward<N extends Shape[number]>(x: Tensor<[N, I]>): Tensor<[N, O]> {
    return wrap(B.add(B.matmul(x.node, B.transpose(this.weight.node)), this.bias.node));
  }
}
