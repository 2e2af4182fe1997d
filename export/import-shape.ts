/**
 * ONNX ops that compute shapes, or move data, as other graphc ops. Integer tensors known at import
 * (shapes, axes, indices) stay folded as `IntConst` values, whose entries may be symbolic dims ('N'):
 * Shape, Size, Squeeze and Unsqueeze of such vectors are computed here on dims (Reshape, Slice, Gather and
 * Concat on their op records, compiler/ops), so a torch `x.view(x.size(0), -1)` reaches Reshape as
 * ['N', -1]; Size of a symbolic shape is computed at run time from those dims' sizes. Everything else
 * about integers is folded by import-fold.ts. Range and ConstantOfShape make tensors from operands known at
 * import.
 */
import * as B from '../compiler/ir/build.ts';
import type { Node } from '../compiler/ir/node.ts';
import { isStatic, normAxes, shapeStr, type Dim, type Shape } from '../compiler/ir/shape.ts';
import { intConst, needStatic, onnxOperand as need, onnxRule as rule, type OnnxImportCtx as OpContext, type OnnxImporter as Importer, type OnnxValue } from '../compiler/ops/op.ts';
import { intVector as vec, raise } from '../compiler/ops/onnx-read.ts';

/** Squeeze and Unsqueeze: axes as an attribute before opset 13, as an input from 13. */
const axesOf = (c: OpContext): number[] | undefined => (c.opset >= 13 ? (c.has(1) ? (c.ints(1) ?? c.known(1, 'the axes decide the output\'s shape')) : undefined) : c.attrInts('axes'));
const shapeOf = (c: OpContext, k: number): Shape => c.intConst(k)?.dims ?? need(c, k).shape;
const withShape = (c: OpContext, shape: Dim[]): OnnxValue => {
  const ic = c.intConst(0);
  return ic && !isStatic(ic.values) ? intConst(ic.values, shape as number[]) : B.reshape(need(c, 0), shape);
};

const unsqueeze = rule([1, 11, 13, 21, 23, 24, 25], (c) => {
  const s = shapeOf(c, 0);
  const axes = normAxes(axesOf(c) ?? raise('Unsqueeze needs axes'), s.length + (axesOf(c) ?? []).length);
  const out: Dim[] = [];
  for (let i = 0, j = 0; i < s.length + axes.length; i++) out.push(axes.includes(i) ? 1 : s[j++]);
  return withShape(c, out);
});

const squeeze = rule([1, 11, 13, 21, 23, 24, 25], (c) => {
  const s = shapeOf(c, 0);
  const given = axesOf(c);
  if (!given && !isStatic(s)) needStatic(`Squeeze without axes of the symbolic shape ${shapeStr(s)}`, s);
  const axes = given ? normAxes(given, s.length) : s.flatMap((d, i) => (d === 1 ? [i] : []));
  for (const a of axes) if (s[a] !== 1) raise(`Squeeze of axis ${a}, of size ${s[a]}`);
  return withShape(c, s.filter((_, i) => !axes.includes(i)));
});

const shape = rule([1, 13, 15, 19, 21, 23, 24, 25], (c) => {
  const s = shapeOf(c, 0);
  const r = s.length;
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
  const [start, end] = c.opset >= 15 ? [clamp(c.attrInt('start', 0)), clamp(c.attrInt('end', r))] : [0, r];
  return intConst(s.slice(start, Math.max(start, end)));
});

const size = rule([1, 13, 19, 21, 23, 24, 25], (c) => {
  const s = shapeOf(c, 0);
  if (!isStatic(s)) {
    // a run-time size, the product of the symbolic dims read off the inputs carrying them: an operand that
    // needs its value at import specialises the model on those inputs' shapes (OnnxSession)
    const known = s.filter((d): d is number => typeof d === 'number').reduce((p, d) => p * d, 1);
    const dims = s.filter((d): d is string => typeof d === 'string').map((d) => c.dimSize(d) ?? needStatic(`Size of the symbolic shape ${shapeStr(s)}: no graph input carries the dim ${d}`, [d]));
    return B.cast(dims.reduce((p: Node, d) => B.mul(p, d), B.scalar(known)), 'i64');
  }
  return intConst([s.reduce((p, d) => p * d, 1)], []);
});

/** Split: sizes as an attribute before opset 13, as an input from 13 (parts may be empty); from 18 `num_outputs` instead (the last part smaller). */
const split = rule([2, 11, 13, 18], (c) => {
  const x = need(c, 0);
  const axis = normAxes([c.attrInt('axis', 0)], x.shape.length)[0];
  const d = x.shape[axis];
  if (typeof d !== 'number') return needStatic(`Split along the symbolic dim ${d} of ${shapeStr(x.shape)}`, [d]);
  const given = c.opset >= 13 ? (c.has(1) ? (c.ints(1) ?? c.known(1, 'the split sizes decide the outputs\' shapes')) : undefined) : c.attrInts('split');
  const count = c.opset >= 18 ? c.attrInt('num_outputs', 0) : 0;
  if (count && given) raise('both split sizes and num_outputs');
  if (count && count !== c.outputs) raise(`num_outputs ${count} with ${c.outputs} outputs`);
  const chunk = Math.ceil(d / count);
  const parts = count ? Array.from({ length: count }, (_, i) => Math.max(0, Math.min(chunk, d - i * chunk)))
    : given ?? (d % c.outputs === 0 ? Array(c.outputs).fill(d / c.outputs) : raise(`Split of ${d} into ${c.outputs} equal parts`));
  if (parts.length !== c.outputs || parts.reduce((p, q) => p + q, 0) !== d || parts.some((p) => p < 0)) raise(`Split of ${d} into parts ${parts.join(', ')} for ${c.outputs} outputs`);
  let at = 0;
  return parts.map((p) => {
    const part = B.sliceAxis(x, axis, at, p);
    at += p;
    return part;
  });
});

/** Tile: axis i repeated repeats[i] times, as x reshaped to [1, d0, 1, d1, ...], expanded to [r0, d0, r1, d1, ...] and merged. */
const tile = rule([6, 13], (c) => {
  const x = need(c, 0);
  const reps = c.ints(1) ?? c.known(1, 'the repeats decide the output\'s shape');
  if (reps.length !== x.shape.length) raise(`Tile repeats [${reps}] for an input of rank ${x.shape.length}`);
  if (reps.some((r) => r < 1)) raise(`Tile repeats [${reps}] below 1`);
  if (reps.every((r) => r === 1)) return x;
  const out = x.shape.map((d, i) => (reps[i] === 1 ? d : typeof d === 'number' ? d * reps[i] : needStatic(`Tile repeating the symbolic dim ${d} of ${shapeStr(x.shape)}`, [d])));
  const spread = B.reshape(x, x.shape.flatMap((d) => [1, d]));
  return B.reshape(B.mk('Expand', [spread], { shape: x.shape.flatMap((d, i) => [reps[i], d]) as number[] }), out);
});

const constantOfShape = rule([9, 20, 21, 23, 24, 25], (c) => {
  const dims = vec(c, 0)?.values ?? c.known(0, 'the shape decides what ConstantOfShape computes');
  const v = c.attrTensor('value') ?? { values: [0], dims: [1], integer: false };
  if (v.values.length !== 1) raise('ConstantOfShape value of more than one element');
  if (isStatic(dims)) {
    const n = dims.reduce((p, d) => p * d, 1);
    const fill = Array<number>(n).fill(v.values[0]);
    // a bool value: a constant of 0s or 1s, as graphc holds every bool
    return v.integer ? intConst(fill, dims) : v.bool ? B.mk('Const', [], { value: Float32Array.from(fill), shape: dims, dtype: 'bool' }) : B.constant(fill, dims);
  }
  const dtype = v.integer ? 'i64' : v.bool ? 'bool' : undefined;
  return B.mk('Expand', [dtype ? B.mk('Const', [], { value: Float32Array.of(v.values[0]), shape: [], dtype }) : B.scalar(v.values[0])], { shape: [...dims] as number[] });
});

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

export const shapeImporters: Readonly<Record<string, Importer>> = {
  Unsqueeze: unsqueeze,
  Squeeze: squeeze,
  Shape: shape,
  Size: size,
  Split: split,
  Tile: tile,
  ConstantOfShape: constantOfShape,
  Range: range,
};
