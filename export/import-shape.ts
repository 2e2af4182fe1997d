/**
 * ONNX ops that move data or compute shapes. Integer tensors known at import (shapes, axes, indices)
 * stay folded as `IntConst` values, so shape arithmetic costs nothing at run time.
 */
import * as B from '../compiler/ir/build.ts';
import { isStatic, shapeStr } from '../compiler/ir/shape.ts';
import { onnxRule as rule, type OnnxImporter as Importer } from '../compiler/ops/op.ts';
import { need, raise } from './import-read.ts';

const reshape = rule([5, 13, 14], (c) => {
  const x = need(c, 0);
  const dims = c.ints(1) ?? raise('Reshape needs a constant shape');
  const allowzero = c.opset >= 14 ? c.attrInt('allowzero', 0) : 0;
  if (allowzero === 1 && dims.includes(0)) raise('Reshape with allowzero and a 0 dim');
  const out = dims.map((d, i) => (d === 0 ? x.shape[i] : d));
  if (out.includes(-1) && !isStatic(x.shape)) raise(`Reshape with -1 of a symbolic shape ${shapeStr(x.shape)}`);
  return B.reshape(x, out);
});

const unsqueeze = rule([1, 11, 13], (c) => {
  const axes = (c.opset >= 13 ? c.ints(1) : c.attrInts('axes')) ?? raise('Unsqueeze needs constant axes');
  return B.unsqueeze(need(c, 0), axes);
});

export const shapeImporters: Readonly<Record<string, Importer>> = {
  Reshape: reshape,
  Unsqueeze: unsqueeze,
};
