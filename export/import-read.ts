/**
 * Readers shared by the ONNX import rules: operands as graphc nodes, the elementwise and reduction rule
 * shapes, and the one-line refusal.
 */
import type { Node } from '../compiler/ir/node.ts';
import * as B from '../compiler/ir/build.ts';
import { UnsupportedError, onnxOperand, onnxRule as rule, type OnnxImportCtx as OpContext, type OnnxImporter as Importer } from '../compiler/ops/op.ts';

export const raise = (what: string): never => {
  throw new UnsupportedError(what);
};

/** Float operand k (a runtime tensor, or an integer tensor folded at import as a constant). */
export const need = onnxOperand;
// Elementwise forms before opset 7 (attributes broadcast/axis, consumed_inputs) are refused by the
// importer as unread attributes; from 7 on the forms below are numpy-broadcasting and attribute-free.
export const unary = (since: readonly number[], f: (x: Node) => Node): Importer => rule(since, (c) => f(need(c, 0)));
export const binary = (since: readonly number[], f: (a: Node, b: Node) => Node): Importer => rule(since, (c) => f(need(c, 0), need(c, 1)));

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
      if (c.has(1)) axes = c.ints(1) ?? raise('axes that are not constant');
      if (!axes || axes.length === 0) return c.attrInt('noop_with_empty_axes', 0) === 1 ? noop(x) : f(x, null, keep);
    } else axes = c.attrInts('axes');
    return f(x, axes && axes.length ? axes : null, keep);
  });
}

