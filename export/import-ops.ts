/**
 * How each ONNX op (default domain, opset 7 to 26) becomes graphc IR, for the ONNX ops that are not one
 * graphc op record's own (those live in the record's `onnxImport`). A rule reads the node through typed
 * readers (compiler/ops/op.ts `OnnxImportCtx`): the importer refuses any attribute or input a rule did not
 * read, and a rule lists the ONNX schema versions (`since`) whose forms it reads; test/onnx/schemas.test.ts
 * checks the list against ONNX's schema history.
 */
import type { Node } from '../compiler/ir/node.ts';
import * as B from '../compiler/ir/build.ts';
import { shapeStr } from '../compiler/ir/shape.ts';
import { UnsupportedError, onnxImporter, onnxImportedOps, onnxOperand as need, onnxRule as rule, type OnnxImportCtx as OpContext, type OnnxImporter as Importer } from '../compiler/ops/op.ts';
import { binary, unary } from '../compiler/ops/onnx-read.ts';
import { mathImporters } from './import-math.ts';
import { shapeImporters } from './import-shape.ts';
import { nnImporters } from './import-nn.ts';
import { einsumImporters } from './import-einsum.ts';
import { rnnImporters } from './import-rnn.ts';

export { UnsupportedError };

/** The newest opset imported: the newest onnxruntime-node 1.30 accepts, with every imported op's forms up to it read. */
export const NEWEST_OPSET = 26;
export type { OpContext };

/** Gemm: C broadcast onto [M, N] (from opset 7; at opset 6 only with `broadcast` 1, else C is [M, N]). */
const gemm = rule([6, 7, 9, 11, 13], (c) => {
  const [a, b] = [need(c, 0), need(c, 1)];
  if (a.shape.length !== 2 || b.shape.length !== 2) throw new UnsupportedError('Gemm needs 2-D A and B');
  let y = B.matmul(a, b, c.attrInt('transA', 0) === 1, c.attrInt('transB', 0) === 1);
  const alpha = c.attrFloat('alpha', 1);
  if (alpha !== 1) y = B.mul(y, alpha);
  const beta = c.attrFloat('beta', 1);
  const broadcast = c.opset >= 7 || c.attrInt('broadcast', 0) === 1;
  if (c.has(2)) {
    const bias = need(c, 2);
    const mn = y.shape;
    if (!broadcast && (bias.shape.length !== 2 || bias.shape[0] !== mn[0] || bias.shape[1] !== mn[1])) throw new UnsupportedError(`C of shape ${shapeStr(bias.shape)} without broadcast (expected ${shapeStr(mn)})`);
    y = B.add(y, beta === 1 ? bias : B.mul(bias, beta));
    // C is broadcast onto [M, N], never the product onto C
    if (y.shape.length !== 2 || y.shape[0] !== mn[0] || y.shape[1] !== mn[1]) throw new UnsupportedError(`C of shape ${shapeStr(bias.shape)} does not broadcast to ${shapeStr(mn)}`);
  }
  return y;
});

const ge = (a: Node, b: Node) => B.mk('GreaterEqual', [a, b]);
/** a > b is not (b >= a); a < b is not (a >= b); a <= b is b >= a. */
const not = (x: Node) => B.cast(B.sub(1, B.cast(x, 'f32')), 'bool');

const importers: Readonly<Record<string, Importer>> = {
  Greater: binary([7, 9, 13], (a, b) => not(ge(b, a))),
  Less: binary([7, 9, 13], (a, b) => not(ge(a, b))),
  LessOrEqual: binary([12, 16], (a, b) => ge(b, a)),
  Gemm: gemm,
  Identity: unary([1, 13, 14, 16, 19, 21, 23, 24, 25], (x) => x),
  ...mathImporters,
  ...shapeImporters,
  ...nnImporters,
  ...einsumImporters,
  ...rnnImporters,
};

/** The rule for an ONNX op type: from its op record, else from the tables above (own keys only). */
export const importerFor = (opType: string): Importer | undefined => onnxImporter(opType) ?? (Object.hasOwn(importers, opType) ? importers[opType] : undefined);

export const supportedOps = (): string[] => [...new Set([...Object.keys(importers), ...onnxImportedOps()])].sort();
