/**
 * Node builders used inside the compiler (gradient rules, passes, importers): thin, untyped wrappers over
 * `Node.mk`. The typed user-facing API is in `dsl/`.
 */
import { Node, type DType } from './node.ts';
import { sameShape, type Dim, type Shape } from './shape.ts';

export const mk = Node.mk;

export const scalar = (v: number): Node => mk('Const', [], { value: Float32Array.of(v), shape: [] });
export const constant = (values: ArrayLike<number>, shape: readonly number[]): Node =>
  mk('Const', [], { value: Float32Array.from(values), shape: [...shape] });

const lift = (x: Node | number): Node => (typeof x === 'number' ? scalar(x) : x);
export const add = (a: Node | number, b: Node | number): Node => mk('Add', [lift(a), lift(b)]);
export const sub = (a: Node | number, b: Node | number): Node => mk('Sub', [lift(a), lift(b)]);
export const mul = (a: Node | number, b: Node | number): Node => mk('Mul', [lift(a), lift(b)]);
export const div = (a: Node | number, b: Node | number): Node => mk('Div', [lift(a), lift(b)]);
export const max = (a: Node | number, b: Node | number): Node => mk('Max', [lift(a), lift(b)]);
export const neg = (a: Node): Node => mk('Neg', [a]);
export const exp = (a: Node): Node => mk('Exp', [a]);
export const log = (a: Node): Node => mk('Log', [a]);
export const sigmoid = (a: Node): Node => mk('Sigmoid', [a]);
export const matmul = (a: Node, b: Node, transA = false, transB = false): Node =>
  mk('MatMul', [a, b], transA || transB ? { transA, transB } : {});
/** Batched op(a)·op(b) (numpy batch broadcasting), op a transpose of the last two axes where flagged. */
export const batchMatmul = (a: Node, b: Node, transA = false, transB = false): Node =>
  mk('BatchMatMul', [a, b], transA || transB ? { transA, transB } : {});
export const transpose = (a: Node, perm?: readonly number[]): Node =>
  mk('Transpose', [a], { perm: perm ? [...perm] : [...a.shape.keys()].reverse() });
export const sum = (a: Node, axes: readonly number[] | null = null, keepdims = false): Node =>
  mk('Sum', [a], { axes: axes ? [...axes] : null, keepdims });
export const mean = (a: Node, axes: readonly number[] | null = null, keepdims = false): Node =>
  mk('Mean', [a], { axes: axes ? [...axes] : null, keepdims });
/** a[begin : begin + len] along `axis`, every other axis whole (`a` itself where that is all of it). */
export const sliceAxis = (a: Node, axis: number, begin: number, len: number): Node =>
  begin === 0 && a.shape[axis] === len ? a : mk('Slice', [a], { begin: a.shape.map((_, i) => (i === axis ? begin : 0)), step: a.shape.map(() => 1), shape: a.shape.map((d, i) => (i === axis ? len : d)) as number[] });
export const reshape = (a: Node, shape: readonly Dim[]): Node => (sameShape(a.shape, shape) ? a : mk('Reshape', [a], { shape: [...shape] as number[] }));
export const unsqueeze = (a: Node, axes: readonly number[]): Node => (axes.length ? mk('Unsqueeze', [a], { axes: [...axes] }) : a);
export const expandAs = (a: Node, like: Node): Node => (sameShape(a.shape, like.shape) ? a : mk('ExpandAs', [a, like]));
/** Element count of `x` over `axes` (all when null), as a float scalar. */
export const sizeOf = (x: Node, axes: readonly number[] | null = null): Node => mk('SizeOf', [x], { axes: axes ? [...axes] : null });
export const cast = (a: Node, to: DType): Node => (a.dtype === to ? a : mk('Cast', [a], { to }));

/** Sums `g` down to `shape`, undoing numpy broadcasting (the gradient of a broadcast). */
export function sumTo(g: Node, shape: Shape): Node {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.shape.length - shape.length;
  let r = lead > 0 ? sum(g, [...Array(lead).keys()], false) : g;
  const ones = shape.flatMap((d, i) => (d === 1 && r.shape[i] !== 1 ? [i] : []));
  if (ones.length) r = sum(r, ones, true);
  return r;
}
export const bceWithLogits = (z: Node, y: Node): Node => mk('BCEWithLogits', [z, y]);
export const relu = (a: Node): Node => mk('Relu', [a]);
export const tanh = (a: Node): Node => mk('Tanh', [a]);
export const abs = (a: Node): Node => mk('Abs', [a]);
export const sqrt = (a: Node): Node => mk('Sqrt', [a]);
