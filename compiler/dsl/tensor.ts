/**
 * The typed face of a graph node. `Tensor<S>` wraps an IR node and carries its shape `S` in the type;
 * every method builds a new node (recording the caller's source line) and computes its result shape in
 * the type system (see shape-types.ts) as well as at build time (the op's shape rule).
 */
import { Node } from '../ir/node.ts';
import type { Dim, Shape } from '../ir/shape.ts';
import * as B from '../ir/build.ts';
import type { Broadcast, BroadcastCheck, MatMulCheck, MatMulShape, Reduced, Transposed } from './shape-types.ts';
import { ownSources } from '../ir/source.ts';
import { avgPool2dNode, conv2dNode, dropoutNode, interpolateNode, maxPool2dNode, type AvgPoolOptions, type ConvOptions, type InterpolateOptions, type Pair, type PoolOptions } from './vision.ts';

// the DSL (this folder) builds nodes for the model: their position is the model's
ownSources(import.meta.url);

export class Tensor<S extends Shape = Shape> {
  /** The symbolic shape, e.g. ['N', 2]. */
  readonly shape: S;
  constructor(readonly node: Node) {
    this.shape = node.shape as S;
  }

  get dtype() {
    return this.node.dtype;
  }

  add<const T extends Shape = []>(other: (Tensor<T> & BroadcastCheck<S, T>) | number): Tensor<Broadcast<S, T>> {
    return wrap(B.mk('Add', [this.node, lift(other)]));
  }
  sub<const T extends Shape = []>(other: (Tensor<T> & BroadcastCheck<S, T>) | number): Tensor<Broadcast<S, T>> {
    return wrap(B.mk('Sub', [this.node, lift(other)]));
  }
  mul<const T extends Shape = []>(other: (Tensor<T> & BroadcastCheck<S, T>) | number): Tensor<Broadcast<S, T>> {
    return wrap(B.mk('Mul', [this.node, lift(other)]));
  }
  div<const T extends Shape = []>(other: (Tensor<T> & BroadcastCheck<S, T>) | number): Tensor<Broadcast<S, T>> {
    return wrap(B.mk('Div', [this.node, lift(other)]));
  }
  /** Elementwise maximum. */
  maximum<const T extends Shape = []>(other: (Tensor<T> & BroadcastCheck<S, T>) | number): Tensor<Broadcast<S, T>> {
    return wrap(B.mk('Max', [this.node, lift(other)]));
  }
  neg(): Tensor<S> {
    return wrap(B.mk('Neg', [this.node]));
  }
  exp(): Tensor<S> {
    return wrap(B.mk('Exp', [this.node]));
  }
  log(): Tensor<S> {
    return wrap(B.mk('Log', [this.node]));
  }
  sigmoid(): Tensor<S> {
    return wrap(B.mk('Sigmoid', [this.node]));
  }
  relu(): Tensor<S> {
    return wrap(B.mk('Relu', [this.node]));
  }
  /** x where x > 0, else alpha·x (PyTorch's `F.leaky_relu(x, negative_slope=alpha)`). */
  leakyRelu(alpha = 0.01): Tensor<S> {
    return wrap(B.mk('LeakyRelu', [this.node], { alpha }));
  }
  /** x where x > 0, else alpha·(eˣ − 1) (PyTorch's `F.elu(x, alpha)`). */
  elu(alpha = 1): Tensor<S> {
    return wrap(B.mk('Elu', [this.node], { alpha }));
  }
  /** max(0, min(1, alpha·x + beta)) (ONNX's HardSigmoid; PyTorch's `F.hardsigmoid` is alpha = 1/6). */
  hardSigmoid(alpha = 0.2, beta = 0.5): Tensor<S> {
    return wrap(B.mk('HardSigmoid', [this.node], { alpha, beta }));
  }
  /** x limited to [min, max], either bound optional (PyTorch's `torch.clamp`). */
  clamp(min?: number, max?: number): Tensor<S> {
    return wrap(B.mk('Clip', [this.node], { ...(min !== undefined && { min }), ...(max !== undefined && { max }) }));
  }
  tanh(): Tensor<S> {
    return wrap(B.mk('Tanh', [this.node]));
  }
  /** log(1 + exp(x)), computed stably. */
  softplus(): Tensor<S> {
    return wrap(B.mk('Softplus', [this.node]));
  }
  sqrt(): Tensor<S> {
    return wrap(B.mk('Sqrt', [this.node]));
  }
  /** Largest integer not above x (a zero gradient, as PyTorch's). */
  floor(): Tensor<S> {
    return wrap(B.mk('Floor', [this.node]));
  }
  /** Smallest integer not below x (a zero gradient). */
  ceil(): Tensor<S> {
    return wrap(B.mk('Ceil', [this.node]));
  }
  /** Nearest integer, ties to the even one (`torch.round`; a zero gradient). */
  round(): Tensor<S> {
    return wrap(B.mk('Round', [this.node]));
  }
  /** −1, 0 or 1 by the sign of x (a zero gradient). */
  sign(): Tensor<S> {
    return wrap(B.mk('Sign', [this.node]));
  }
  sin(): Tensor<S> {
    return wrap(B.mk('Sin', [this.node]));
  }
  cos(): Tensor<S> {
    return wrap(B.mk('Cos', [this.node]));
  }
  tan(): Tensor<S> {
    return wrap(B.mk('Tan', [this.node]));
  }
  asin(): Tensor<S> {
    return wrap(B.mk('Asin', [this.node]));
  }
  acos(): Tensor<S> {
    return wrap(B.mk('Acos', [this.node]));
  }
  atan(): Tensor<S> {
    return wrap(B.mk('Atan', [this.node]));
  }
  sinh(): Tensor<S> {
    return wrap(B.mk('Sinh', [this.node]));
  }
  cosh(): Tensor<S> {
    return wrap(B.mk('Cosh', [this.node]));
  }
  asinh(): Tensor<S> {
    return wrap(B.mk('Asinh', [this.node]));
  }
  acosh(): Tensor<S> {
    return wrap(B.mk('Acosh', [this.node]));
  }
  atanh(): Tensor<S> {
    return wrap(B.mk('Atanh', [this.node]));
  }
  /** Softmax along `axis` (default: the last). */
  softmax(axis = -1): Tensor<S> {
    return wrap(B.mk('Softmax', [this.node], { axis }));
  }
  /** Log of the softmax along `axis`, computed stably. */
  logSoftmax(axis = -1): Tensor<S> {
    return wrap(B.mk('LogSoftmax', [this.node], { axis }));
  }
  /** Index of the largest element along `axis` (the first, on ties). */
  argmax<const A extends number>(axis: A): Tensor<Reduced<S, A, false>> {
    return wrap(B.mk('ArgMax', [this.node], { axis }));
  }
  /** Largest element along `axis`. */
  max<const A extends number, const K extends boolean = false>(axis: A, keepdims?: K): Tensor<Reduced<S, A, K>> {
    return wrap(B.mk('ReduceMax', [this.node], { axes: [axis], keepdims: keepdims ?? false }));
  }
  abs(): Tensor<S> {
    return wrap(B.mk('Abs', [this.node]));
  }

  /** Matrix product of 2-D tensors: [M, K] · [K, P] → [M, P]. */
  matmul<const T extends Shape>(other: Tensor<T> & MatMulCheck<S, T>): Tensor<MatMulShape<S, T>> {
    return wrap(B.mk('MatMul', [this.node, other.node]));
  }
  /** Transpose of a 2-D tensor. */
  get T(): Tensor<Transposed<S>> {
    return wrap(B.transpose(this.node));
  }
  transpose(perm?: readonly number[]): Tensor<Shape> {
    return wrap(B.transpose(this.node, perm));
  }

  /** Mean over all elements (a scalar) or over one axis. */
  mean(): Tensor<[]>;
  mean<const A extends number, const K extends boolean = false>(axis: A, keepdims?: K): Tensor<Reduced<S, A, K>>;
  mean(axis?: number, keepdims = false): Tensor<any> {
    return wrap(B.mk('Mean', [this.node], { axes: axis === undefined ? null : [axis], keepdims }));
  }
  /** Sum over all elements (a scalar) or over one axis. */
  sum(): Tensor<[]>;
  sum<const A extends number, const K extends boolean = false>(axis: A, keepdims?: K): Tensor<Reduced<S, A, K>>;
  sum(axis?: number, keepdims = false): Tensor<any> {
    return wrap(B.mk('Sum', [this.node], { axes: axis === undefined ? null : [axis], keepdims }));
  }

  /** `this >= other`, a bool tensor. */
  ge<const T extends Shape = []>(other: (Tensor<T> & BroadcastCheck<S, T>) | number): Tensor<Broadcast<S, T>> {
    return wrap(B.mk('GreaterEqual', [this.node, lift(other)]));
  }
  /** `this == other`, a bool tensor. */
  eq<const T extends Shape = []>(other: (Tensor<T> & BroadcastCheck<S, T>) | number): Tensor<Broadcast<S, T>> {
    return wrap(B.mk('Equal', [this.node, lift(other)]));
  }
  /** Cast to float32 (bool → 0/1). */
  float(): Tensor<S> {
    return wrap(B.cast(this.node, 'f32'));
  }
  reshape<const T extends readonly Dim[]>(shape: T): Tensor<T> {
    return wrap(B.mk('Reshape', [this.node], { shape: [...shape] as number[] }));
  }

  /** 2-D convolution of x [N, C, H, W] with weight [O, C/groups, KH, KW] and an optional bias [O]. */
  conv2d<const W extends Shape>(weight: Tensor<W>, bias?: Tensor<[W[0]]>, options?: ConvOptions): Tensor<[S[0], W[0], number, number]> {
    return wrap(conv2dNode(this.node, weight.node, bias?.node, options));
  }
  /** Max over windows of x [N, C, H, W]. */
  maxPool2d(kernel: Pair, options?: PoolOptions): Tensor<[S[0], S[1], number, number]> {
    return wrap(maxPool2dNode(this.node, kernel, options));
  }
  /** Mean over windows of x [N, C, H, W]. */
  avgPool2d(kernel: Pair, options?: AvgPoolOptions): Tensor<[S[0], S[1], number, number]> {
    return wrap(avgPool2dNode(this.node, kernel, options));
  }
  /** Upsampled or downsampled x [N, C, H, W], nearest or bilinear (F.interpolate). */
  interpolate(options: InterpolateOptions): Tensor<[S[0], S[1], number, number]> {
    return wrap(interpolateNode(this.node, options));
  }
  /** Mean over each channel's plane: [N, C, H, W] → [N, C, 1, 1]. */
  globalAvgPool(): Tensor<[S[0], S[1], 1, 1]> {
    return wrap(B.mk('GlobalAvgPool', [this.node]));
  }
  /** Axes from `axis` on merged into one (torch.flatten(x, axis)); the merged size is checked when built. */
  flatten(axis = 1): Tensor<[S[0], any]> {
    return wrap(B.mk('Flatten', [this.node], { axis }));
  }
  /** Entries zeroed with probability p and the rest scaled by 1/(1 − p) in training; identity in inference. */
  dropout(p = 0.5, seed?: number): Tensor<S> {
    return wrap(dropoutNode(this.node, p, seed));
  }
}

export const wrap = <S extends Shape>(n: Node): Tensor<S> => new Tensor<S>(n);
const lift = (x: { readonly node: Node } | number): Node => (typeof x === 'number' ? B.scalar(x) : x.node);
/** Any tensor, whatever its shape (Tensor<S> is not assignable to Tensor<Shape>: use this instead). */
export interface AnyTensor {
  readonly node: Node;
  readonly shape: Shape;
}
/** Shapes as mutable tuples, the form every DSL result type uses. */
export type Mutable<S extends Shape> = { -readonly [K in keyof S]: S[K] };
