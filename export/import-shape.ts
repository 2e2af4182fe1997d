/**
 * ONNX ops that move data or compute shapes. Integer tensors known at import (shapes, axes, indices)
 * stay folded as `IntConst` values, whose entries may be symbolic dims ('N'): Shape, Gather, Slice,
 * Concat, Squeeze and Unsqueeze of such vectors are computed here on dims, so a torch `x.view(x.size(0),
 * -1)` reaches Reshape as ['N', -1]. Everything else about integers is folded by import-fold.ts.
 */
import * as B from '../compiler/ir/build.ts';
import { isStatic, normAxes, shapeStr, type Dim, type Shape } from '../compiler/ir/shape.ts';
import { intConst, onnxOperand as need, onnxRule as rule, type OnnxImportCtx as OpContext, type OnnxImporter as Importer, type OnnxValue } from '../compiler/ops/op.ts';
import { intVector as vec, raise } from '../compiler/ops/onnx-read.ts';

const BIG = 2 ** 53;

/** Resolves a Reshape target against the input's shape: 0 copies, -1 infers (symbolically where it can). */
export function reshapeTarget(from: Shape, dims: readonly Dim[], allowzero: boolean): Dim[] {
  const out = dims.map((d, i) => (d === 0 && !allowzero ? from[i] : d));
  const k = out.indexOf(-1);
  if (k < 0) return out;
  const known = out.filter((_, i) => i !== k);
  const num = (s: readonly Dim[]) => s.reduce<number>((p, d) => (typeof d === 'number' ? p * d : p), 1);
  const syms = (s: readonly Dim[]) => s.filter((d): d is string => typeof d === 'string');
  const left = [...syms(from)];
  for (const s of syms(known)) {
    const at = left.indexOf(s);
    if (at < 0) raise(`Reshape of ${shapeStr(from)} to ${shapeStr(dims)}: -1 cannot be inferred`);
    left.splice(at, 1);
  }
  const q = num(from) / num(known);
  if (!Number.isInteger(q) || left.length > 1 || (left.length === 1 && q !== 1)) raise(`Reshape of ${shapeStr(from)} to ${shapeStr(dims)}: -1 cannot be inferred`);
  out[k] = left.length ? left[0] : q;
  return out;
}

const reshape = rule([5, 13, 14, 19, 21, 23, 24, 25], (c) => {
  const dims = vec(c, 1)?.values ?? c.known(1, 'the shape decides what Reshape computes');
  const allowzero = c.opset >= 14 && c.attrInt('allowzero', 0) === 1;
  const ic = c.intConst(0);
  if (ic && !isStatic(ic.values)) return intConst(ic.values, reshapeTarget(ic.dims, dims, allowzero) as number[]);
  const x = need(c, 0);
  return B.reshape(x, reshapeTarget(x.shape, dims, allowzero));
});

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
  if (!given && !isStatic(s)) raise(`Squeeze without axes of the symbolic shape ${shapeStr(s)}`);
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
  if (!isStatic(s)) return raise(`Size of the symbolic shape ${shapeStr(s)}`);
  return intConst([s.reduce((p, d) => p * d, 1)], []);
});

const concat = rule([4, 11, 13], (c) => {
  const ks = c.inputs.map((_, k) => k);
  const axis = c.attrInt('axis', 0);
  const vs = ks.map((k) => vec(c, k));
  if (vs.every((v) => v && v.dims.length === 1)) return intConst(vs.flatMap((v) => v!.values));
  const xs = ks.map((k) => need(c, k));
  if (xs.length === 1) return xs[0];
  return B.mk('Concat', xs, { axis: normAxes([axis], xs[0].shape.length)[0] });
});

const gather = rule([1, 11, 13], (c) => {
  const axis = c.attrInt('axis', 0);
  const data = vec(c, 0), idx = c.intConst(1);
  if (data && data.dims.length === 1 && idx && isStatic(idx.values)) {
    const n = data.values.length;
    return intConst((idx.values as number[]).map((i) => data.values[i < 0 ? i + n : i] ?? raise(`Gather index ${i} out of range`)), idx.dims);
  }
  const x = need(c, 0);
  return B.mk('Gather', [x, need(c, 1)], { axis: normAxes([axis], x.shape.length)[0] });
});

/** Begins, steps and output dims of an ONNX slice (numpy's clamping rules), per axis of `s`. */
function sliceOf(s: Shape, starts: number[], ends: number[], axes: number[] | undefined, steps: number[] | undefined) {
  const r = s.length;
  const begin = Array<number>(r).fill(0), step = Array<number>(r).fill(1), out: Dim[] = [...s];
  const ax = axes ? normAxes(axes, r) : [...starts.keys()];
  if (axes && new Set(axes.map((a) => (a < 0 ? a + r : a))).size !== axes.length) raise('Slice with repeated axes');
  (axes ?? ax).forEach((a0, i) => {
    const a = a0 < 0 ? a0 + r : a0;
    const st = steps?.[i] ?? 1;
    if (st === 0) raise('Slice with step 0');
    const d = s[a];
    if (typeof d !== 'number') {
      if (starts[i] === 0 && ends[i] >= BIG / 2 && st === 1) return;
      return raise(`Slice of the symbolic dim '${d}'`);
    }
    let b = starts[i] < 0 ? starts[i] + d : starts[i];
    let e = ends[i] < 0 ? ends[i] + d : ends[i];
    if (st > 0) {
      b = Math.min(Math.max(b, 0), d);
      e = Math.min(Math.max(e, 0), d);
    } else {
      b = Math.min(Math.max(b, -1), d - 1);
      e = Math.min(Math.max(e, -1), d - 1);
    }
    const n = Math.max(0, Math.ceil((e - b) / st));
    begin[a] = n ? b : 0;
    step[a] = st;
    out[a] = n;
  });
  return { begin, step, shape: out };
}

const slice = rule([1, 10, 11, 13], (c) => {
  const [starts, ends, axes, steps] =
    c.opset < 10
      ? [c.attrInts('starts'), c.attrInts('ends'), c.attrInts('axes'), undefined]
      : [1, 2, 3, 4].map((k) => (k <= 2 || c.has(k) ? (c.ints(k) ?? c.known(k, 'starts, ends, axes and steps decide the output\'s shape')) : undefined));
  if (!starts || !ends) return raise('Slice needs constant starts and ends');
  const data = vec(c, 0);
  if (data && data.dims.length === 1) {
    const { begin, step, shape: out } = sliceOf(data.dims, starts, ends, axes, steps);
    return intConst(Array.from({ length: out[0] as number }, (_, i) => data.values[begin[0] + i * step[0]]));
  }
  const x = need(c, 0);
  const a = sliceOf(x.shape, starts, ends, axes, steps);
  if (a.shape.every((d, i) => d === x.shape[i]) && a.begin.every((b) => b === 0) && a.step.every((t) => t === 1)) return x;
  return B.mk('Slice', [x], { begin: a.begin, step: a.step, shape: a.shape as number[] });
});

/** Split: sizes as an attribute before opset 13, as an input from 13 (parts may be empty); from 18 `num_outputs` instead (the last part smaller). */
const split = rule([2, 11, 13, 18], (c) => {
  const x = need(c, 0);
  const axis = normAxes([c.attrInt('axis', 0)], x.shape.length)[0];
  const d = x.shape[axis];
  if (typeof d !== 'number') return raise(`Split along the symbolic dim '${d}'`);
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
    const begin = x.shape.map((_, i) => (i === axis ? at : 0));
    at += p;
    return B.mk('Slice', [x], { begin, step: x.shape.map(() => 1), shape: x.shape.map((e, i) => (i === axis ? p : e)) as number[] });
  });
});

const expand = rule([8, 13], (c) => {
  const to = vec(c, 1)?.values ?? c.known(1, 'the shape decides what Expand computes');
  return B.mk('Expand', [need(c, 0)], { shape: [...to] as number[] });
});

/** Tile: axis i repeated repeats[i] times, as x reshaped to [1, d0, 1, d1, ...], expanded to [r0, d0, r1, d1, ...] and merged. */
const tile = rule([6, 13], (c) => {
  const x = need(c, 0);
  const reps = c.ints(1) ?? c.known(1, 'the repeats decide the output\'s shape');
  if (reps.length !== x.shape.length) raise(`Tile repeats [${reps}] for an input of rank ${x.shape.length}`);
  if (reps.some((r) => r < 1)) raise(`Tile repeats [${reps}] below 1`);
  if (reps.every((r) => r === 1)) return x;
  const out = x.shape.map((d, i) => (reps[i] === 1 ? d : typeof d === 'number' ? d * reps[i] : raise(`Tile repeating the symbolic dim '${d}'`)));
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
    return v.integer ? intConst(fill, dims) : B.constant(fill, dims);
  }
  return B.mk('Expand', [v.integer ? B.mk('Const', [], { value: Float32Array.of(v.values[0]), shape: [], dtype: 'i64' }) : B.scalar(v.values[0])], { shape: [...dims] as number[] });
});

export const shapeImporters: Readonly<Record<string, Importer>> = {
  Reshape: reshape,
  Unsqueeze: unsqueeze,
  Squeeze: squeeze,
  Shape: shape,
  Size: size,
  Concat: concat,
  Gather: gather,
  Slice: slice,
  Split: split,
  Expand: expand,
  Tile: tile,
  ConstantOfShape: constantOfShape,
};
