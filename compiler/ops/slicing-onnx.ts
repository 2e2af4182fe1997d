/**
 * The ONNX import rules of slicing.ts's ops: Slice, Concat, Gather, Expand and Pad. Integer vectors known
 * at import (a shape, a shape's part: `IntConst`, whose entries may be symbolic dims such as 'N') are
 * sliced, concatenated and gathered here, folded, so a torch `x.view(x.size(0), -1)` reaches Reshape as
 * ['N', -1]; any other operand becomes the graphc op.
 */
import * as B from '../ir/build.ts';
import { normAxes, shapeStr, isStatic, type Dim, type Shape } from '../ir/shape.ts';
import { intConst, onnxOperand as need, onnxRule as rule } from './op.ts';
import { intVector, raise } from './onnx-read.ts';

const BIG = 2 ** 53;
/** INT_MAX of int32 and of int64 (read as the nearest double, 2^63): what onnxruntime reads as an open end. */
const openEnd = (e: number) => e === 2 ** 31 - 1 || e >= 2 ** 63;

/**
 * Begins, steps and output dims of an ONNX slice, per axis of `s`, as ONNX's Slice spec clamps them: a
 * negative start or end has the dim added; then a start is clamped to [0, dim] stepping forward and to
 * [0, dim − 1] stepping backward, an end to [0, dim] forward and [−1, dim − 1] backward. So int64's
 * extremes (PyTorch's open ends, ±9223372036854775807) take a whole axis. A step beyond the dim takes
 * one element, as a step of the dim (onnxruntime clamps it so). One case is refused: an end of INT_MAX
 * (int32's or int64's) stepping backward, which the spec clamps to dim − 1 (an empty slice) and onnxruntime
 * reads as "to the start" (numpy's None).
 */
export function sliceOf(s: Shape, starts: number[], ends: number[], axes: number[] | undefined, steps: number[] | undefined) {
  const r = s.length;
  const begin = Array<number>(r).fill(0), step = Array<number>(r).fill(1), out: Dim[] = [...s];
  const ax = axes ? normAxes(axes, r) : [...starts.keys()];
  if (axes && new Set(axes.map((a) => (a < 0 ? a + r : a))).size !== axes.length) raise('Slice with repeated axes');
  if (ends.length !== starts.length || (steps && steps.length !== starts.length) || ax.length !== starts.length) raise(`Slice with ${starts.length} starts, ${ends.length} ends${axes ? `, ${axes.length} axes` : ''}${steps ? `, ${steps.length} steps` : ''} (one of each per axis)`);
  (axes ?? ax).forEach((a0, i) => {
    const a = a0 < 0 ? a0 + r : a0;
    let st = steps?.[i] ?? 1;
    if (st === 0) raise('Slice with step 0');
    const d = s[a];
    if (typeof d !== 'number') {
      if (starts[i] === 0 && ends[i] >= BIG / 2 && st === 1) return;
      return raise(`Slice of the symbolic dim '${d}'`);
    }
    if (st < 0 && openEnd(ends[i])) raise(`Slice end ${ends[i] === 2 ** 31 - 1 ? ends[i] : 'INT64_MAX'} with step ${st} (axis ${a}): ONNX's spec clamps it to the dim − 1, an empty slice, and onnxruntime reads it as "to the start"; an end of INT64_MIN is both's "to the start"`);
    st = Math.max(-Math.max(d, 1), Math.min(st, Math.max(d, 1)));
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + d : v, lo), hi);
    const b = st > 0 ? clamp(starts[i], 0, d) : clamp(starts[i], 0, d - 1);
    const e = st > 0 ? clamp(ends[i], 0, d) : clamp(ends[i], -1, d - 1);
    const n = Math.max(0, Math.ceil((e - b) / st));
    begin[a] = n ? b : 0;
    step[a] = st;
    out[a] = n;
  });
  return { begin, step, shape: out };
}

/**
 * Slice: starts, ends and axes as attributes before opset 10, as inputs (with steps) from 10. Starts, ends
 * and steps are read wide: int64's extremes, beyond what a double holds exactly, clamp as any value past
 * the dim.
 */
export const sliceImport = rule([1, 10, 11, 13], (c) => {
  const what = 'starts, ends, axes and steps decide the output\'s shape';
  const [starts, ends, axes, steps] =
    c.opset < 10
      ? [c.attrInts('starts', true), c.attrInts('ends', true), c.attrInts('axes'), undefined]
      : [1, 2, 3, 4].map((k) => (k === 3 ? (c.has(3) ? (c.ints(3) ?? c.known(3, what)) : undefined) : k <= 2 || c.has(k) ? c.known(k, what, true) : undefined));
  if (!starts || !ends) return raise('Slice needs constant starts and ends');
  const data = intVector(c, 0);
  if (data && data.dims.length === 1) {
    const { begin, step, shape: out } = sliceOf(data.dims, starts, ends, axes, steps);
    return intConst(Array.from({ length: out[0] as number }, (_, i) => data.values[begin[0] + i * step[0]]));
  }
  const x = need(c, 0);
  const a = sliceOf(x.shape, starts, ends, axes, steps);
  if (a.shape.every((d, i) => d === x.shape[i]) && a.begin.every((b) => b === 0) && a.step.every((t) => t === 1)) return x;
  return B.mk('Slice', [x], { begin: a.begin, step: a.step, shape: a.shape as number[] });
});

export const concatImport = rule([4, 11, 13], (c) => {
  const ks = c.inputs.map((_, k) => k);
  const axis = c.attrInt('axis', 0);
  const vs = ks.map((k) => intVector(c, k));
  if (vs.every((v) => v && v.dims.length === 1)) return intConst(vs.flatMap((v) => v!.values));
  const xs = ks.map((k) => need(c, k));
  if (xs.length === 1) return xs[0];
  return B.mk('Concat', xs, { axis: normAxes([axis], xs[0].shape.length)[0] });
});

export const gatherImport = rule([1, 11, 13], (c) => {
  const axis = c.attrInt('axis', 0);
  const data = intVector(c, 0), idx = c.intConst(1);
  if (data && data.dims.length === 1 && idx && isStatic(idx.values)) {
    const n = data.values.length;
    return intConst((idx.values as number[]).map((i) => data.values[i < 0 ? i + n : i] ?? raise(`Gather index ${i} out of range`)), idx.dims);
  }
  const x = need(c, 0);
  return B.mk('Gather', [x, need(c, 1)], { axis: normAxes([axis], x.shape.length)[0] });
});

export const expandImport = rule([8, 13], (c) => {
  const to = intVector(c, 1)?.values ?? c.known(1, 'the shape decides what Expand computes');
  return B.mk('Expand', [need(c, 0)], { shape: [...to] as number[] });
});

/**
 * Pad: pads as an attribute before opset 11, as an input from 11; from 18 an `axes` input names the axes
 * padded. The pads must be known at import; constant_value may be computed at run time.
 */
export const padImport = rule([2, 11, 13, 18, 19, 21, 23, 24, 25], (c) => {
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
  const known = c.opset < 11 ? c.attrFloat('value', 0) : c.has(2) ? c.folded(2) : 0;
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
