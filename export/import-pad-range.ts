/**
 * ONNX ops whose operands must be known at import, as numbers rather than shapes: Range (its length is
 * its values') and Pad (its pads; its constant_value may also be computed at run time). An operand is known
 * when it is a folded integer vector or a float tensor computed from constants alone (import-fold.ts).
 */
import * as B from '../compiler/ir/build.ts';
import { normAxes, shapeStr } from '../compiler/ir/shape.ts';
import { intConst, onnxOperand as need, onnxRule as rule, type OnnxImportCtx as OpContext, type OnnxImporter as Importer } from '../compiler/ops/op.ts';
import { raise } from '../compiler/ops/onnx-read.ts';
import { foldFloats } from './import-fold.ts';

/** The values of a constant operand: folded integers, or a float tensor computed from constants only. */
const constValues = (c: OpContext, k: number): number[] | undefined => {
  const ints = c.ints(k);
  if (ints) return ints;
  const n = c.inputs[k];
  return n ? foldFloats(n) : undefined;
};

/**
 * Range: start, limit and delta known at import (the output's length depends on their values); graph
 * inputs, the model is specialised on their values (OnnxSession).
 */
const range = rule([11], (c) => {
  const [start, limit, delta] = [0, 1, 2].map((k) => {
    const v = c.known(k, "Range's length depends on its operands' values");
    return v.length === 1 ? v[0] : raise(`input ${k} of ${v.length} elements (a scalar expected)`);
  });
  if (delta === 0) raise('Range with delta 0');
  const n = Math.max(Math.ceil((limit - start) / delta), 0);
  const vals = Array.from({ length: n }, (_, i) => start + i * delta);
  return c.ints(0) ? intConst(vals) : B.constant(vals, [n]);
});

/** Pad: pads as an attribute before opset 11, as an input from 11; from 18 an `axes` input names the axes padded. */
const pad = rule([2, 11, 13, 18, 19, 21, 23, 24, 25], (c) => {
  const x = need(c, 0);
  const mode = c.attrString('mode', 'constant');
  if (!['constant', 'reflect', 'edge'].includes(mode)) raise(`Pad mode '${mode}'`);
  const r = x.shape.length;
  let pads = c.opset < 11 ? (c.attrInts('pads') ?? raise('Pad needs its pads')) : (c.ints(1) ?? c.known(1, 'the pads decide the output\'s shape'));
  if (c.opset >= 18 && c.has(3)) {
    const axes = normAxes(c.ints(3) ?? c.known(3, 'the axes decide the output\'s shape'), r);
    if (pads.length !== 2 * axes.length) raise(`Pad with ${pads.length} pads for ${axes.length} axes`);
    const full = Array<number>(2 * r).fill(0);
    axes.forEach((a, i) => ((full[a] = pads[i]), (full[a + r] = pads[i + axes.length])));
    pads = full;
  }
  if (pads.length !== 2 * r) raise(`Pad with ${pads.length} pads for rank ${r}`);
  const known = c.opset < 11 ? c.attrFloat('value', 0) : c.has(2) ? constValues(c, 2) : 0;
  if (pads.some((p) => p < 0)) raise('Pad with negative pads');
  if (pads.every((p) => p === 0)) return x;
  if (typeof known === 'number' || known) return B.mk('Pad', [x], { pads, mode, value: typeof known === 'number' ? known : known[0] });
  // a constant_value computed at run time (a scalar; ignored outside constant mode): where the padded ones
  // are 0, the value
  const v = need(c, 2);
  if (v.shape.length > 1 || (v.shape.length === 1 && v.shape[0] !== 1)) raise(`constant_value of shape ${shapeStr(v.shape)} (a scalar expected)`);
  const padded = B.mk('Pad', [x], { pads, mode, value: 0 });
  if (mode !== 'constant') return padded;
  const inside = B.mk('Pad', [B.mk('Expand', [B.scalar(1)], { shape: [...x.shape] as number[] })], { pads, mode, value: 0 });
  return B.mk('Where', [B.cast(inside, 'bool'), padded, B.cast(B.reshape(v, []), 'f32')]);
});

export const padRangeImporters: Readonly<Record<string, Importer>> = {
  Range: range,
  Pad: pad,
};
