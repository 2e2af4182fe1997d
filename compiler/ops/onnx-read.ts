/**
 * Readers the ONNX import rules share: the op records' own (`onnxImport`) and the importer's translations
 * into other ops (export/import-*.ts), which take them from here. The elementwise and variadic rule
 * shapes, opset 6's broadcast, a reduction's axes, an int64 vector folded at import, the one-line refusal.
 */
import type { Node } from '../ir/node.ts';
import { isStatic, shapeStr, type Dim } from '../ir/shape.ts';
import * as B from '../ir/build.ts';
import { UnsupportedError, onnxOperand, onnxRule as rule, type IntConst, type OnnxImportCtx, type OnnxImporter } from './op.ts';

export const raise = (what: string): never => {
  throw new UnsupportedError(what);
};

/**
 * ONNX's element types (TensorProto.DataType, onnx.proto), by code, as refusals name them: the short
 * names of the ONNX spec, float32 and float64 for FLOAT and DOUBLE as graphc says them elsewhere.
 */
const ONNX_TYPES = [
  'undefined', 'float32', 'uint8', 'int8', 'uint16', 'int16', 'int32', 'int64', 'string', 'bool', 'float16', 'float64', 'uint32', 'uint64',
  'complex64', 'complex128', 'bfloat16', 'float8e4m3fn', 'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz', 'uint4', 'int4', 'float4e2m1', 'float8e8m0',
];

/**
 * An ONNX element type code as a refusal shows it: `float16 (10)`; a code beyond the table (a type of a
 * newer ONNX, or none), `99 (a type code graphc does not know)`.
 */
export const onnxTypeName = (code: number | null | undefined): string => {
  const name = code === null || code === undefined ? undefined : ONNX_TYPES[code];
  return name === undefined ? `${code} (a type code graphc does not know)` : `${name} (${code})`;
};

// Elementwise forms before opset 6 (consumed_inputs) are refused by the importer as unread attributes;
// from 7 on the forms below are numpy-broadcasting and attribute-free.
export const unary = (since: readonly number[], f: (x: Node) => Node): OnnxImporter => rule(since, (c) => f(onnxOperand(c, 0)));
export const binary = (since: readonly number[], f: (a: Node, b: Node) => Node): OnnxImporter => rule(since, (c) => f(onnxOperand(c, 0), onnxOperand(c, 1)));

/** Max, Min, Sum and Mean: any number of operands folded pairwise by `f`, then `post` (Mean's division). */
export const variadic = (since: readonly number[], f: (a: Node, b: Node) => Node, post: (y: Node, n: number) => Node = (y) => y): OnnxImporter =>
  rule(since, (c) => {
    const xs = c.inputs.map((_, k) => onnxOperand(c, k));
    return post(xs.slice(1).reduce((acc, x) => f(acc, x), xs[0]), xs.length);
  });

const same = (a: readonly Dim[], b: readonly Dim[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * B as an opset-6 arithmetic op (Add, Sub, Mul, Div) reads it against A: with `broadcast` 0 (the default)
 * the shapes must be equal; with 1, B has one element or its dims equal A's from `axis` on (default: A's
 * last dims), and it is reshaped to A's rank with ones around them. From opset 7, B as given.
 */
function legacyOperand(c: OnnxImportCtx, a: Node, b: Node): Node {
  if (c.opset >= 7) return b;
  const ra = a.shape.length, rb = b.shape.length;
  const axis = c.attrInt('axis', ra - rb);
  if (c.attrInt('broadcast', 0) !== 1) {
    if (!same(a.shape, b.shape)) raise(`shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)} without broadcast (opset 6 broadcasts only with broadcast = 1)`);
    return b;
  }
  if (isStatic(b.shape) && (b.shape as number[]).reduce((p, d) => p * d, 1) === 1) return B.reshape(b, []);
  if (axis < 0 || axis + rb > ra) raise(`broadcast axis ${axis} of ${shapeStr(b.shape)} onto ${shapeStr(a.shape)}`);
  if (!same(a.shape.slice(axis, axis + rb), b.shape)) raise(`B ${shapeStr(b.shape)} does not match A ${shapeStr(a.shape)} from axis ${axis}`);
  return B.reshape(b, [...Array<number>(axis).fill(1), ...b.shape, ...Array<number>(ra - axis - rb).fill(1)] as number[]);
}

/** Add, Sub, Mul and Div: opset 6's broadcast and axis attributes (legacyOperand), numpy broadcasting from 7. */
export const arith = (since: readonly number[], f: (a: Node, b: Node) => Node): OnnxImporter =>
  rule(since, (c) => {
    const a = onnxOperand(c, 0);
    return f(a, legacyOperand(c, a, onnxOperand(c, 1)));
  });

/**
 * Reductions. `axesInput`: the opset from which the axes are an input rather than an attribute (13 for
 * ReduceSum, 18 for the others), where `noop_with_empty_axes` appears too: a reduction over no axes, which
 * still takes the elementwise steps of a composite reduction (`noop`: ReduceLogSum's log, ReduceL1's |x|).
 */
export function reduction(since: readonly number[], axesInput: number, f: (x: Node, axes: number[] | null, keep: boolean) => Node, noop: (x: Node) => Node = (x) => x): OnnxImporter {
  return rule(since, (c) => {
    const x = onnxOperand(c, 0);
    const keep = c.attrInt('keepdims', 1) === 1;
    let axes: number[] | undefined;
    if (c.opset >= axesInput) {
      if (c.has(1)) axes = c.ints(1) ?? c.known(1, 'the axes decide the output\'s shape');
      if (!axes || axes.length === 0) return c.attrInt('noop_with_empty_axes', 0) === 1 ? noop(x) : f(x, null, keep);
    } else axes = c.attrInts('axes');
    return f(x, axes && axes.length ? axes : null, keep);
  });
}

/** A 1-D (or scalar) integer tensor folded at import (a shape, a shape's part), where input k is one. */
export const intVector = (c: OnnxImportCtx, k: number): IntConst | undefined => {
  const v = c.intConst(k);
  return v && v.dims.length <= 1 ? v : undefined;
};
