/**
 * Readers shared by the ONNX import rules: operands as graphc nodes, the elementwise and reduction rule
 * shapes, and the one-line refusal.
 */
import type { Node } from '../compiler/ir/node.ts';
import { isStatic, shapeStr, type Dim } from '../compiler/ir/shape.ts';
import * as B from '../compiler/ir/build.ts';
import { UnsupportedError, onnxOperand, onnxRule as rule, type OnnxImportCtx as OpContext, type OnnxImporter as Importer } from '../compiler/ops/op.ts';

export const raise = (what: string): never => {
  throw new UnsupportedError(what);
};

/** Float operand k (a runtime tensor, or an integer tensor folded at import as a constant). */
export const need = onnxOperand;
// Elementwise forms before opset 6 (consumed_inputs) are refused by the importer as unread attributes;
// from 7 on the forms below are numpy-broadcasting and attribute-free.
export const unary = (since: readonly number[], f: (x: Node) => Node): Importer => rule(since, (c) => f(need(c, 0)));
export const binary = (since: readonly number[], f: (a: Node, b: Node) => Node): Importer => rule(since, (c) => f(need(c, 0), need(c, 1)));

const same = (a: readonly Dim[], b: readonly Dim[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * B as an opset-6 arithmetic op (Add, Sub, Mul, Div) reads it against A: with `broadcast` 0 (the default)
 * the shapes must be equal; with 1, B has one element or its dims equal A's from `axis` on (default: A's
 * last dims), and it is reshaped to A's rank with ones around them. From opset 7, B as given.
 */
export function legacyOperand(c: OpContext, a: Node, b: Node): Node {
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
export const arith = (since: readonly number[], f: (a: Node, b: Node) => Node): Importer =>
  rule(since, (c) => {
    const a = need(c, 0);
    return f(a, legacyOperand(c, a, need(c, 1)));
  });

/**
 * Reductions. `axesInput`: the opset from which the axes are an input rather than an attribute (13 for
 * ReduceSum, 18 for the others), where `noop_with_empty_axes` appears too: a reduction over no axes, which
 * still takes the elementwise steps of a composite reduction (`noop`: ReduceLogSum's log, ReduceL1's |x|).
 */
export function reduction(since: readonly number[], axesInput: number, f: (x: Node, axes: number[] | null, keep: boolean) => Node, noop: (x: Node) => Node = (x) => x): Importer {
  return rule(since, (c) => {
    const x = need(c, 0);
    const keep = c.attrInt('keepdims', 1) === 1;
    let axes: number[] | undefined;
    if (c.opset >= axesInput) {
      if (c.has(1)) axes = c.ints(1) ?? c.known(1, 'the axes decide the output\'s shape');
      if (!axes || axes.length === 0) return c.attrInt('noop_with_empty_axes', 0) === 1 ? noop(x) : f(x, null, keep);
    } else axes = c.attrInts('axes');
    return f(x, axes && axes.length ? axes : null, keep);
  });
}

