/**
 * How each ONNX op (default domain, opset <= 17) becomes graphc IR. An entry receives the op's inputs as
 * graphc nodes (or, for shape-like inputs, their constant int64 values) and its attributes, and returns
 * the node that computes its output. Only float32 data is supported; an entry throws UnsupportedError
 * for a form it does not take (e.g. a 3-D MatMul).
 */
import type { Node } from '../compiler/ir/node.ts';
import * as B from '../compiler/ir/build.ts';
import { isStatic, shapeStr } from '../compiler/ir/shape.ts';

import { UnsupportedError, onnxImporter, onnxImportedOps, type OnnxImportCtx as OpContext, type OnnxImporter as Importer } from '../compiler/ops/op.ts';

export { UnsupportedError };
export type { OpContext };

const need = (c: OpContext, k: number): Node => {
  const n = c.inputs[k];
  if (!n) throw new UnsupportedError(`input ${k} is missing or not a float tensor`);
  return n;
};
const unary = (f: (x: Node) => Node): Importer => (c) => f(need(c, 0));
const binary = (f: (a: Node, b: Node) => Node): Importer => (c) => f(need(c, 0), need(c, 1));

function gemm(c: OpContext): Node {
  const [a, b] = [need(c, 0), need(c, 1)];
  if (a.shape.length !== 2 || b.shape.length !== 2) throw new UnsupportedError('Gemm needs 2-D A and B');
  let y = B.matmul(a, b, c.attrInt('transA', 0) === 1, c.attrInt('transB', 0) === 1);
  const alpha = c.attrFloat('alpha', 1);
  if (alpha !== 1) y = B.mul(y, alpha);
  const bias = c.inputs[2];
  if (bias) {
    const beta = c.attrFloat('beta', 1);
    y = B.add(y, beta === 1 ? bias : B.mul(bias, beta));
  }
  return y;
}

function reshape(c: OpContext): Node {
  const x = need(c, 0);
  const dims = c.ints(1);
  if (!dims) throw new UnsupportedError('Reshape needs a constant shape');
  if (c.attrInt('allowzero', 0) === 1 && dims.includes(0)) throw new UnsupportedError('Reshape with allowzero and a 0 dim');
  const out = dims.map((d, i) => (d === 0 ? x.shape[i] : d));
  if (out.includes(-1) && !isStatic(x.shape)) throw new UnsupportedError(`Reshape with -1 of a symbolic shape ${shapeStr(x.shape)}`);
  return B.reshape(x, out);
}

function reduce(kind: 'Mean' | 'Sum'): Importer {
  return (c) => {
    const x = need(c, 0);
    const axes = kind === 'Sum' ? c.ints(1) : c.attrInts('axes');
    const keep = c.attrInt('keepdims', 1) === 1;
    if (kind === 'Sum' && c.inputs.length > 1 && c.inputs[1] === undefined && !axes) throw new UnsupportedError('ReduceSum with non-constant axes');
    if (axes && axes.length === 0) {
      if (c.attrInt('noop_with_empty_axes', 0) === 1) return x;
      return kind === 'Mean' ? B.mean(x, null, keep) : B.sum(x, null, keep);
    }
    return kind === 'Mean' ? B.mean(x, axes ?? null, keep) : B.sum(x, axes ?? null, keep);
  };
}

function cast(c: OpContext): Node {
  const to = c.attrInt('to', 1);
  if (to === 1) return B.cast(need(c, 0), 'f32');
  if (to === 9) return B.cast(need(c, 0), 'bool');
  throw new UnsupportedError(`Cast to ONNX type ${to} (graphc computes in float32 and bool)`);
}

function max(c: OpContext): Node {
  const xs = c.inputs.map((_, k) => need(c, k));
  return xs.slice(1).reduce((acc, x) => B.max(acc, x), xs[0]);
}

function transpose(c: OpContext): Node {
  const x = need(c, 0);
  return B.transpose(x, c.attrInts('perm') ?? [...x.shape.keys()].reverse());
}

function unsqueeze(c: OpContext): Node {
  const axes = c.ints(1) ?? c.attrInts('axes');
  if (!axes) throw new UnsupportedError('Unsqueeze needs constant axes');
  return B.unsqueeze(need(c, 0), axes);
}

function matmul(c: OpContext): Node {
  const [a, b] = [need(c, 0), need(c, 1)];
  if (a.shape.length !== 2 || b.shape.length !== 2) throw new UnsupportedError(`MatMul of ${shapeStr(a.shape)} and ${shapeStr(b.shape)}: graphc's MatMul is 2-D`);
  return B.matmul(a, b);
}

const ge = (a: Node, b: Node) => B.mk('GreaterEqual', [a, b]);
/** a > b is not (b >= a); a < b is not (a >= b); a <= b is b >= a. */
const not = (x: Node) => B.cast(B.sub(1, B.cast(x, 'f32')), 'bool');

const importers: Readonly<Record<string, Importer>> = {
  Greater: binary((a, b) => not(ge(b, a))),
  Less: binary((a, b) => not(ge(a, b))),
  LessOrEqual: binary((a, b) => ge(b, a)),
  Abs: unary(B.abs),
  Add: binary(B.add),
  Cast: cast,
  Div: binary(B.div),
  Equal: binary((a, b) => B.mk('Equal', [a, b])),
  Exp: unary(B.exp),
  Gemm: gemm,
  GreaterOrEqual: binary((a, b) => B.mk('GreaterEqual', [a, b])),
  Identity: unary((x) => x),
  Log: unary(B.log),
  MatMul: matmul,
  Max: max,
  Mul: binary(B.mul),
  Neg: unary(B.neg),
  ReduceMean: reduce('Mean'),
  ReduceSum: reduce('Sum'),
  Relu: unary(B.relu),
  Reshape: reshape,
  Sigmoid: unary(B.sigmoid),
  Softplus: unary((x) => B.mk('Softplus', [x])),
  Sub: binary(B.sub),
  Tanh: unary(B.tanh),
  Transpose: transpose,
  Unsqueeze: unsqueeze,
};

/** The rule for an ONNX op type: from its op record, else from the table above (own keys only). */
export const importerFor = (opType: string): Importer | undefined => onnxImporter(opType) ?? (Object.hasOwn(importers, opType) ? importers[opType] : undefined);

export const supportedOps = (): string[] => [...new Set([...Object.keys(importers), ...onnxImportedOps()])].sort();
