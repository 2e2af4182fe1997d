/**
 * Resize (ONNX's Resize and Upsample): each output element a weighted sum of input elements, separable per
 * axis. Per axis, each output index maps to a source coordinate (the coordinate transformation mode), and
 * the mode picks the taps around it: nearest one (its rounding the nearest mode), linear two, cubic four
 * (Keys' kernel with coefficient a). Taps past the edge read the edge element, or with `exclude` weigh 0
 * and the others are renormalised; tf_crop_and_resize reads a region of interest and writes the
 * extrapolation value where a coordinate leaves the input. Attributes: mode, coord, nearest, cubicA,
 * exclude, scales (per axis, the coordinate transform's), shape (the output's), roi, extrapolation, sizes
 * (whether the file gave sizes, for the export). The gradient scatters each output gradient back to its
 * taps with their weights (ResizeGrad, whose own gradient is the Resize again).
 */
import { defineOp, onnxFloat, type OnnxEmit } from './op.ts';
import type { Attrs, Node } from '../ir/node.ts';
import { shapeStr, type Dim } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import * as B from '../ir/build.ts';
import { resizeImporters } from './resize-onnx.ts';

const prod = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

/** Keys' cubic convolution weights for the four taps around a coordinate `t` past the second (ONNX's). */
function cubic(t: number, a: number): number[] {
  const u = 1 - t;
  return [
    ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a,
    ((a + 2) * t - (a + 3)) * t * t + 1,
    ((a + 2) * u - (a + 3)) * u * u + 1,
    ((a * (u + 1) - 5 * a) * (u + 1) + 8 * a) * (u + 1) - 4 * a,
  ];
}

/** The source coordinate of output index x on an axis of n inputs, by the coordinate transformation mode. */
function source(x: number, n: number, m: number, scale: number, a: Attrs, roi0: number, roi1: number): number {
  const width = scale * n;
  switch (a.coord as string) {
    case 'align_corners': return width === 1 ? 0 : (x * (n - 1)) / (width - 1);
    case 'asymmetric': return x / scale;
    case 'pytorch_half_pixel': return width === 1 ? -0.5 : (x + 0.5) / scale - 0.5;
    case 'tf_half_pixel_for_nn': return (x + 0.5) / scale;
    case 'half_pixel_symmetric': return (n / 2) * (1 - m / width) + (x + 0.5) / scale - 0.5;
    case 'tf_crop_and_resize': return (width === 1 ? ((roi1 - roi0) * (n - 1)) / 2 : (x * (roi1 - roi0) * (n - 1)) / (width - 1)) + roi0 * (n - 1);
    default: return (x + 0.5) / scale - 0.5; // half_pixel
  }
}

/** Whether nearest rounding takes the upper neighbour at fraction t (0 < t < 1) on an axis of this scale. */
function upper(t: number, mode: string, scale: number): boolean {
  switch (mode) {
    case 'round_prefer_ceil': return t >= 0.5;
    case 'floor': return false;
    case 'ceil': return true;
    case 'simple': return scale < 1; // opsets 7 to 10 (onnxruntime's): ceil when shrinking, else floor
    default: return t > 0.5; // round_prefer_floor
  }
}

interface AxisTaps { idx: number[][]; w: number[][]; outside: boolean[] }

/** For each output index of one axis, its taps (input indices and weights), or `outside` the input. */
function axisTaps(n: number, m: number, axis: number, a: Attrs): AxisTaps {
  const scale = (a.scales as number[])[axis], r = a.shape ? (a.shape as Dim[]).length : 0;
  const roi = a.roi as number[] | undefined;
  const [roi0, roi1] = roi ? [roi[axis], roi[axis + r]] : [0, 1];
  const mode = a.mode as string, taps = mode === 'cubic' ? 4 : 2, pad = taps / 2;
  const res: AxisTaps = { idx: [], w: [], outside: [] };
  for (let x = 0; x < m; x++) {
    const s = source(x, n, m, scale, a, roi0, roi1);
    const outside = a.coord === 'tf_crop_and_resize' && (s < 0 || s > n - 1);
    // the taps around s, the lower one's fraction t in (0, 1] (a whole s is t = 1 past the index below it)
    let x0 = Math.floor(s), t = s - x0;
    if (t === 0) { x0 -= 1; t = 1; }
    const coeffs = mode === 'cubic' ? cubic(t, a.cubicA as number) : mode === 'linear' ? [1 - t, t] : t === 1 || upper(t, a.nearest as string, scale) ? [0, 1] : [1, 0];
    // the window of taps stays within the input padded by `pad` at each end (ONNX's reference)
    const start = Math.min(Math.max(x0 - (pad - 1), -pad), n + pad - taps);
    let idx = coeffs.map((_, k) => start + k);
    let w = coeffs;
    if (a.exclude) {
      w = w.map((c, k) => (idx[k] < 0 || idx[k] >= n ? 0 : c));
      const sum = w.reduce((p, c) => p + c, 0);
      w = w.map((c) => c / sum);
    }
    idx = idx.map((i) => Math.min(Math.max(i, 0), n - 1));
    const keep = w.map((c, k) => (c !== 0 ? k : -1)).filter((k) => k >= 0);
    res.idx.push(keep.map((k) => idx[k]));
    res.w.push(keep.map((k) => w[k]));
    res.outside.push(outside);
  }
  return res;
}

/**
 * The taps of one plane, per resized axis: axes before `from` are copied (planes), the rest resized. For
 * output index q of resized axis i, its taps are idx[start[q]..start[q+1]) with weights w (input indices
 * times the axis's stride in the plane); out[q] marks an index outside the region of interest (the output
 * is the extrapolation value). An output element's taps are the product of its axes' taps, walked at run
 * time, so preparing takes memory in the sum of the axes' lengths, never their product.
 */
function separable(inShape: readonly number[], outShape: readonly number[], a: Attrs) {
  const r = inShape.length;
  const per = inShape.map((n, i) => axisTaps(n, outShape[i], i, a));
  // leading axes whose every output reads the input index itself, with weight 1, are planes
  let from = 0;
  while (from < r && inShape[from] === outShape[from] && per[from].idx.every((t, x) => t.length === 1 && t[0] === x && per[from].w[x][0] === 1 && !per[from].outside[x])) from++;
  const inS = inShape.slice(from), outS = outShape.slice(from), d = inS.length;
  const axes = outS.map((m, i) => {
    const t = per[from + i], stride = prod(inS.slice(i + 1));
    const start = new Int32Array(m + 1);
    t.idx.forEach((ti, q) => { start[q + 1] = start[q] + ti.length; });
    return { start, idx: Int32Array.from(t.idx.flat().map((k) => k * stride)), w: Float64Array.from(t.w.flat()), out: Uint8Array.from(t.outside, Number) };
  });
  return { planes: prod(inShape.slice(0, from)), S: prod(inS), P: prod(outS), d, outS, axes };
}

/** Walks a plane's outputs in order, with each one's index per resized axis in `o` (prepared once, reused). */
function odometer(t: ReturnType<typeof separable>) {
  const o = new Int32Array(t.d);
  return {
    o,
    reset: () => o.fill(0),
    next: () => { for (let i = t.d - 1; i >= 0; i--) if (++o[i] < t.outS[i]) break; else o[i] = 0; },
    outside: () => { for (let i = 0; i < t.d; i++) if (t.axes[i].out[o[i]]) return true; return false; },
  };
}

const showResize = (a: Attrs) => `${a.mode} ${a.coord}${a.mode === 'nearest' ? ` ${a.nearest}` : ''} scales=[${(a.scales as number[]).map((s) => +s.toFixed(4))}]`;

defineOp({
  name: 'Resize',
  dsl: { method: 'interpolate', fn: 'interpolate' },
  arity: 1,
  infer([x], a, src) {
    const shape = a.shape as Dim[], scales = a.scales as number[];
    if (shape.length !== x.shape.length || scales.length !== x.shape.length) throw new GraphError(`Resize: ${scales.length} scales and output ${shapeStr(shape)} for an input ${shapeStr(x.shape)}`, src);
    // a symbolic dim (the batch) is kept, never resized
    const bad = shape.findIndex((d, i) => (typeof d === 'number' ? !Number.isSafeInteger(d) || d < 1 : d !== x.shape[i] || scales[i] !== 1));
    if (bad >= 0) throw new GraphError(`Resize: output ${shapeStr(shape)} from input ${shapeStr(x.shape)} (axis ${bad})`, src);
    return { shape, dtype: 'f32' };
  },
  kernel(ctx) {
    const t = separable(ctx.inShapes[0], ctx.outShape, ctx.attrs), w = odometer(t), { o } = w;
    const fillValue = (ctx.attrs.extrapolation as number | undefined) ?? 0;
    // the weighted sum over the taps of axes i.. of the current output, `off` the offset so far
    const sum = (x: Float32Array, base: number, i: number, off: number): number => {
      if (i === t.d) return x[base + off];
      const ax = t.axes[i];
      let s = 0;
      for (let j = ax.start[o[i]]; j < ax.start[o[i] + 1]; j++) s += ax.w[j] * sum(x, base, i + 1, off + ax.idx[j]);
      return s;
    };
    return (ins, out) => {
      const x = ins[0];
      for (let pl = 0, k = 0; pl < t.planes; pl++) {
        w.reset();
        for (let q = 0; q < t.P; q++, k++, w.next()) out[k] = w.outside() ? fillValue : sum(x, pl * t.S, 0, 0);
      }
    };
  },
  grad: (n, g) => [B.mk('ResizeGrad', [g, n.inputs[0]], n.attrs)],
  onnx(e, n, ins) {
    const a = n.attrs, r = n.shape.length, scales = a.scales as number[];
    if (a.coord === 'tf_half_pixel_for_nn' || a.coord === 'half_pixel_symmetric') throw new GraphError(`Resize: coordinate_transformation_mode '${a.coord}' has no form at opset 17`, n.src);
    const attrs = (nearest: string) => ({ mode: a.mode as string, coordinate_transformation_mode: a.coord as string, nearest_mode: nearest, cubic_coeff_a: onnxFloat(a.cubicA as number), exclude_outside: a.exclude ? 1 : 0, extrapolation_value: onnxFloat((a.extrapolation as number | undefined) ?? 0) });
    if (a.nearest === 'simple' && a.mode === 'nearest') {
      // opsets 7 to 10 round up on the axes they shrink and down on the others: two resizes, each one mode
      const by = (keep: (s: number) => boolean) => e.constF32(scales.map((s) => (keep(s) ? s : 1)), [r]);
      const shrunk = scales.some((s) => s < 1) ? e.op('Resize', [ins[0], '', by((s) => s < 1)], attrs('ceil')) : ins[0];
      return scales.some((s) => s > 1) ? e.op('Resize', [shrunk, '', by((s) => s > 1)], attrs('floor')) : shrunk === ins[0] ? e.op('Identity', [ins[0]]) : shrunk;
    }
    const roi = a.roi ? e.constF32(a.roi as number[], [2 * r]) : '';
    if (a.sizes) return e.op('Resize', [ins[0], roi, '', sizesOf(e, n.shape, ins[0])], attrs(a.nearest as string));
    return e.op('Resize', [ins[0], roi, e.constF32(scales, [r])], attrs(a.nearest as string));
  },
  onnxImport: resizeImporters,
  showAttrs: showResize,
});

/** The output sizes as an int64 tensor; a symbolic dim (kept from the input) read off the input's shape. */
function sizesOf(e: OnnxEmit, shape: readonly Dim[], x: string): string {
  if (shape.every((d) => typeof d === 'number')) return e.constI64(shape as number[]);
  // a kept dim is the input's: Shape(x) times 0/1 plus the static sizes
  const keep = shape.map((d) => (typeof d === 'number' ? 0 : 1)), fixed = shape.map((d) => (typeof d === 'number' ? d : 0));
  return e.op('Add', [e.op('Mul', [e.shapeOf(x), e.constI64(keep)]), e.constI64(fixed)]);
}

defineOp({
  name: 'ResizeGrad',
  dsl: { internal: 'made by gradient rules (the gradient of Resize)' },
  arity: 2,
  infer: ([, like]) => ({ shape: like.shape, dtype: 'f32' }),
  kernel(ctx) {
    const t = separable(ctx.outShape, ctx.inShapes[0], ctx.attrs), w = odometer(t), { o } = w;
    // adds v times the weights of the taps of axes i.. of the current output
    const put = (out: Float32Array, base: number, i: number, off: number, v: number): void => {
      if (i === t.d) { out[base + off] += v; return; }
      const ax = t.axes[i];
      for (let j = ax.start[o[i]]; j < ax.start[o[i] + 1]; j++) put(out, base, i + 1, off + ax.idx[j], v * ax.w[j]);
    };
    return (ins, out) => {
      const g = ins[0];
      out.fill(0);
      for (let pl = 0, k = 0; pl < t.planes; pl++) {
        w.reset();
        for (let q = 0; q < t.P; q++, k++, w.next()) if (!w.outside()) put(out, pl * t.S, 0, 0, g[k]);
      }
    };
  },
  grad: (n, g) => [B.mk('Resize', [g], n.attrs), null],
  onnx: resizeGradOnnx,
  showAttrs: showResize,
});

/**
 * ResizeGrad as ONNX: the taps are separable, so the scatter is one product per resized axis, the axis
 * moved last and multiplied by its [out, in] tap matrix (each output's weights on its inputs; a row of
 * zeros outside the region of interest).
 */
function resizeGradOnnx(e: OnnxEmit, n: Node, ins: readonly string[]): string {
  const like = n.inputs[1].shape, small = n.inputs[0].shape, r = like.length;
  let y = ins[0];
  for (let ax = 0; ax < r; ax++) {
    const m = small[ax], k = like[ax];
    // a symbolic dim is kept, never resized
    if (typeof m !== 'number' || typeof k !== 'number') continue;
    const t = axisTaps(k, m, ax, n.attrs);
    if (m === k && t.idx.every((ti, x) => ti.length === 1 && ti[0] === x && t.w[x][0] === 1 && !t.outside[x])) continue;
    const mat = new Float32Array(m * k);
    t.idx.forEach((ti, x) => { if (!t.outside[x]) ti.forEach((i, j) => { mat[x * k + i] += t.w[x][j]; }); });
    const perm = [...Array(r).keys()].map((i) => (i === ax ? r - 1 : i === r - 1 ? ax : i));
    const moved = ax === r - 1 ? y : e.op('Transpose', [y], { perm });
    const product = e.op('MatMul', [moved, e.constF32(mat, [m, k])]);
    y = ax === r - 1 ? product : e.op('Transpose', [product], { perm });
  }
  return y === ins[0] ? e.op('Identity', [y]) : y;
}
