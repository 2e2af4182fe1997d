/**
 * Shapes in the type system. A tensor's type carries its shape as a tuple of literal numbers and
 * symbolic names (`Tensor<['N', 2]>`), and the DSL's signatures compute result shapes, so a matmul whose
 * inner dimensions differ, or an add that does not broadcast, fails to type-check with both shapes in
 * the message. The rules mirror the runtime rules in `ir/shape.ts` exactly: dims agree when equal or
 * when one is 1; a symbolic dim meets only itself or 1.
 */
import type { Dim, Shape } from '../ir/shape.ts';

type IsTuple<S extends Shape> = number extends S['length'] ? false : true;
/** A dim whose type is only `number` or `string` is not known statically: anything goes. */
type IsWide<D> = number extends D ? true : string extends D ? true : false;

type Eq<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

export type BroadcastDim<A extends Dim, B extends Dim> =
  IsWide<A> extends true ? B : IsWide<B> extends true ? A : Eq<A, B> extends true ? A : A extends 1 ? B : B extends 1 ? A : never;

type BroadcastRev<A extends Shape, B extends Shape> = A extends readonly []
  ? B
  : B extends readonly []
    ? A
    : A extends readonly [...infer AI extends Shape, infer AL extends Dim]
      ? B extends readonly [...infer BI extends Shape, infer BL extends Dim]
        ? [BroadcastDim<AL, BL>] extends [never]
          ? never
          : BroadcastRev<AI, BI> extends infer R extends Shape
            ? [R] extends [never]
              ? never
              : [...R, BroadcastDim<AL, BL>]
            : never
        : never
      : never;

/** The numpy-broadcast shape of A and B, or `never` when they do not broadcast. */
export type Broadcast<A extends Shape, B extends Shape> = IsTuple<A> extends true ? (IsTuple<B> extends true ? BroadcastRev<A, B> : Dim[]) : Dim[];

type Join<S extends Shape> = S extends readonly [infer H extends Dim, ...infer T extends Shape]
  ? T extends readonly [] ? `${H}` : `${H}, ${Join<T>}`
  : '';
export type ShapeText<S extends Shape> = IsTuple<S> extends true ? `[${Join<S>}]` : 'Dim[]';

/** Intersected into a parameter type: `unknown` when shapes broadcast, otherwise an error naming both. */
export type BroadcastCheck<A extends Shape, B extends Shape> = [Broadcast<A, B>] extends [never]
  ? { 'shape error': `cannot broadcast ${ShapeText<A>} with ${ShapeText<B>}` }
  : unknown;

type Last<S extends Shape> = S extends readonly [...Shape, infer L extends Dim] ? L : Dim;
type First<S extends Shape> = S extends readonly [infer H extends Dim, ...Shape] ? H : Dim;

type InnerOk<A extends Dim, B extends Dim> = IsWide<A> extends true ? true : IsWide<B> extends true ? true : Eq<A, B>;

/** `unknown` when A·B is a valid 2-D matmul, otherwise an error naming both shapes. */
export type MatMulCheck<A extends Shape, B extends Shape> = IsTuple<A> extends true
  ? IsTuple<B> extends true
    ? A['length'] extends 2
      ? B['length'] extends 2
        ? InnerOk<Last<A>, First<B>> extends true
          ? unknown
          : { 'shape error': `matmul inner dimensions differ: ${ShapeText<A>} · ${ShapeText<B>}` }
        : { 'shape error': `matmul needs 2-D operands, got ${ShapeText<A>} · ${ShapeText<B>}` }
      : { 'shape error': `matmul needs 2-D operands, got ${ShapeText<A>} · ${ShapeText<B>}` }
    : unknown
  : unknown;

export type MatMulShape<A extends Shape, B extends Shape> = [First<A>, Last<B>];

/** Shape after reducing `Axis` (one axis, non-negative) with or without keepdims. */
export type Reduced<S extends Shape, Axis extends number, Keep extends boolean> = IsTuple<S> extends true ? ReduceAt<S, Axis, Keep, []> : Dim[];
type ReduceAt<S extends Shape, Axis extends number, Keep extends boolean, Acc extends Dim[]> = S extends readonly [infer H extends Dim, ...infer T extends Shape]
  ? Acc['length'] extends Axis
    ? Keep extends true ? [...Acc, 1, ...T] : [...Acc, ...T]
    : ReduceAt<T, Axis, Keep, [...Acc, H]>
  : Dim[];

export type Transposed<S extends Shape> = S extends readonly [infer A extends Dim, infer B extends Dim] ? [B, A] : Dim[];
