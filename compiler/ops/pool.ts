/**
 * 2-D pooling, NCHW, as ONNX's MaxPool, AveragePool and GlobalAveragePool define them (PyTorch's
 * max_pool2d, avg_pool2d, adaptive_avg_pool2d(1)). Attributes: kernel [kh, kw], stride, pads [top, left,
 * bottom, right], ceil (ceil_mode), and for the average countIncludePad. Max pooling pads with −∞; its
 * gradient routes each output gradient to the first maximum of its window (MaxPoolGrad, recomputing it).
 * The average's gradient spreads each output gradient over its window (AvgPoolGrad, whose own gradient is
 * the average again). Their ONNX forms are in window-onnx.ts.
 */
import { defineOp, onnxRule, UnsupportedError } from './op.ts';
import type { Attrs, Node } from '../ir/node.ts';
import { shapeStr, type Dim } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import * as B from '../ir/build.ts';
import { sweep, windowAttrs } from './conv.ts';
import { reduceKernel } from '../../runtime/kernels/reduce.ts';
import { avgPoolGradOnnx, maxPoolGradOnnx } from './window-onnx.ts';

const k2 = (a: Attrs) => a.kernel as number[];
const s2 = (a: Attrs) => (a.stride as number[] | undefined) ?? k2(a);
const p4 = (a: Attrs) => (a.pads as number[] | undefined) ?? [0, 0, 0, 0];

/** Pooling attributes in canonical form; the stride defaults to the kernel (PyTorch's default). */
export function poolAttrs(a: { kernel: number[]; stride?: number[]; pads?: number[]; ceil?: boolean; countIncludePad?: boolean }, avg = false): Attrs {
  const base = { kernel: a.kernel, stride: a.stride ?? a.kernel, pads: a.pads ?? [0, 0, 0, 0], ceil: a.ceil ?? false };
  return avg ? { ...base, countIncludePad: a.countIncludePad ?? true } : base;
}

function poolShape(x: readonly Dim[], a: Attrs, src: Node['src'], op: string): Dim[] {
  if (x.length !== 4) throw new GraphError(`${op}: expects x [N,C,H,W], got ${shapeStr(x)}`, src);
  const [kh, kw] = k2(a), [sh, sw] = s2(a), p = p4(a), ceil = a.ceil === true;
  if (p[0] * 2 > kh || p[1] * 2 > kw) throw new GraphError(`${op}: padding [${p}] must be at most half the kernel [${kh}, ${kw}]`, src);
  let OH = sweep(x[2], kh, sh, p[0], p[2], 1, ceil), OW = sweep(x[3], kw, sw, p[1], p[3], 1, ceil);
  // ceil mode: the last window must start inside the input or its left padding (PyTorch's rule)
  if (ceil && typeof OH === 'number' && (OH - 1) * sh >= (x[2] as number) + p[0]) OH--;
  if (ceil && typeof OW === 'number' && (OW - 1) * sw >= (x[3] as number) + p[1]) OW--;
  if ((typeof OH === 'number' && OH < 1) || (typeof OW === 'number' && OW < 1)) throw new GraphError(`${op}: a ${kh}×${kw} window does not fit ${shapeStr(x)}`, src);
  return [x[0], x[1], OH, OW];
}

/** Visits each window: for output (plane, oy, ox) the input rows/columns range, clipped to the input. */
function windows(x: readonly number[], y: readonly number[], a: Attrs) {
  const [kh, kw] = k2(a), [sh, sw] = s2(a), p = p4(a);
  const [, , H, W] = x, [N, C, OH, OW] = y;
  return { N, C, H, W, OH, OW, kh, kw, sh, sw, ph: p[0], pw: p[1], pb: p[2], pr: p[3] };
}

const showPool = (a: Attrs) => `kernel=[${k2(a)}] stride=[${s2(a)}]${p4(a).some((v) => v) ? ` pads=[${p4(a)}]` : ''}${a.ceil ? ' ceil' : ''}${a.countIncludePad === false ? ' excludePad' : ''}`;

/** For each output, the input offset of its window's first maximum (−1 for a window of padding only). */
function argmax(x: Float32Array, at: Int32Array, w: ReturnType<typeof windows>): void {
  let o = 0;
  for (let pl = 0; pl < w.N * w.C; pl++) {
    const base = pl * w.H * w.W;
    for (let oy = 0; oy < w.OH; oy++)
      for (let ox = 0; ox < w.OW; ox++, o++) {
        const y0 = oy * w.sh - w.ph, x0 = ox * w.sw - w.pw;
        let best = -Infinity, arg = -1;
        for (let iy = Math.max(0, y0); iy < Math.min(w.H, y0 + w.kh); iy++)
          for (let ix = Math.max(0, x0); ix < Math.min(w.W, x0 + w.kw); ix++) {
            const v = x[base + iy * w.W + ix];
            if (v > best || arg < 0 || v !== v) { best = v; arg = base + iy * w.W + ix; if (v !== v) break; }
          }
        at[o] = arg;
      }
  }
}

defineOp({
  name: 'MaxPool',
  dsl: { method: 'maxPool2d', fn: 'maxPool2d' },
  arity: 1,
  infer: ([x], a, src) => ({ shape: poolShape(x.shape, a, src, 'MaxPool'), dtype: 'f32' }),
  kernel(ctx) {
    const w = windows(ctx.inShapes[0], ctx.outShape, ctx.attrs), at = new Int32Array(ctx.outShape.reduce((p, d) => p * d, 1));
    return (ins, out) => { const x = ins[0]; argmax(x, at, w); for (let i = 0; i < at.length; i++) out[i] = at[i] < 0 ? -Infinity : x[at[i]]; };
  },
  grad: (n, g) => [B.mk('MaxPoolGrad', [g, n.inputs[0]], n.attrs)],
  onnx: (e, n, ins) => e.op('MaxPool', ins, { kernel_shape: k2(n.attrs), strides: s2(n.attrs), pads: p4(n.attrs), ceil_mode: n.attrs.ceil ? 1 : 0 }),
  onnxImport: {
    MaxPool: onnxRule([1, 8, 10, 11, 12], (c) => {
      const w = windowAttrs(c, 'MaxPool');
      if (w.dilation.some((d) => d !== 1)) throw new UnsupportedError('MaxPool: dilations other than 1 are not imported');
      if (c.attrInt('storage_order', 0) !== 0) throw new UnsupportedError('MaxPool: storage_order 1 is not imported');
      return B.mk('MaxPool', [c.inputs[0]!], poolAttrs({ ...w, ceil: c.attrInt('ceil_mode', 0) === 1 }));
    }),
  },
  showAttrs: showPool,
});

defineOp({
  name: 'MaxPoolGrad',
  dsl: { internal: 'made by gradient rules (the gradient of MaxPool)' },
  arity: 2,
  infer: ([, x]) => ({ shape: x.shape, dtype: 'f32' }),
  kernel(ctx) {
    const w = windows(ctx.inShapes[1], ctx.inShapes[0], ctx.attrs), at = new Int32Array(ctx.inShapes[0].reduce((p, d) => p * d, 1));
    return (ins, out) => { const [g, x] = ins; argmax(x, at, w); out.fill(0); for (let i = 0; i < at.length; i++) if (at[i] >= 0) out[at[i]] += g[i]; };
  },
  grad: (n) => {
    throw new GraphError('MaxPool: second derivatives are not supported', n.src);
  },
  onnx: maxPoolGradOnnx,
  showAttrs: showPool,
});

/** For each output, the divisor of its window (PyTorch's avg_pool2d: padded size or in-input size). */
function divisors(w: ReturnType<typeof windows>, includePad: boolean): Float64Array {
  const d = new Float64Array(w.OH * w.OW);
  for (let oy = 0; oy < w.OH; oy++)
    for (let ox = 0; ox < w.OW; ox++) {
      const y0 = oy * w.sh - w.ph, x0 = ox * w.sw - w.pw;
      const y1 = Math.min(y0 + w.kh, w.H + w.pb), x1 = Math.min(x0 + w.kw, w.W + w.pr);
      d[oy * w.OW + ox] = includePad ? (y1 - y0) * (x1 - x0) : (Math.min(y1, w.H) - Math.max(y0, 0)) * (Math.min(x1, w.W) - Math.max(x0, 0));
    }
  return d;
}

/** Average pooling forward (`back` false) or its adjoint, spreading g over the windows (`back` true). */
function avgKernel(x: readonly number[], y: readonly number[], a: Attrs, back: boolean) {
  const w = windows(x, y, a), div = divisors(w, a.countIncludePad !== false);
  return (ins: readonly Float32Array[], out: Float32Array) => {
    const src = ins[0];
    if (back) out.fill(0);
    for (let pl = 0, o = 0; pl < w.N * w.C; pl++) {
      const base = pl * w.H * w.W;
      for (let oy = 0; oy < w.OH; oy++)
        for (let ox = 0; ox < w.OW; ox++, o++) {
          const y0 = oy * w.sh - w.ph, x0 = ox * w.sw - w.pw, dv = div[oy * w.OW + ox];
          const ya = Math.max(0, y0), yb = Math.min(w.H, y0 + w.kh), xa = Math.max(0, x0), xb = Math.min(w.W, x0 + w.kw);
          if (back) {
            const gv = src[o] / dv;
            for (let iy = ya; iy < yb; iy++) for (let ix = xa; ix < xb; ix++) out[base + iy * w.W + ix] += gv;
          } else {
            let s = 0;
            for (let iy = ya; iy < yb; iy++) for (let ix = xa; ix < xb; ix++) s += src[base + iy * w.W + ix];
            out[o] = s / dv;
          }
        }
    }
  };
}

defineOp({
  name: 'AvgPool',
  dsl: { method: 'avgPool2d', fn: 'avgPool2d' },
  arity: 1,
  infer: ([x], a, src) => ({ shape: poolShape(x.shape, a, src, 'AvgPool'), dtype: 'f32' }),
  kernel: (ctx) => avgKernel(ctx.inShapes[0], ctx.outShape, ctx.attrs, false),
  grad: (n, g) => [B.mk('AvgPoolGrad', [g, n.inputs[0]], n.attrs)],
  onnx: (e, n, ins) => e.op('AveragePool', ins, { kernel_shape: k2(n.attrs), strides: s2(n.attrs), pads: p4(n.attrs), ceil_mode: n.attrs.ceil ? 1 : 0, count_include_pad: n.attrs.countIncludePad === false ? 0 : 1 }),
  onnxImport: {
    AveragePool: onnxRule([7, 10, 11], (c) => {
      const w = windowAttrs(c, 'AveragePool');
      if (w.dilation.some((d) => d !== 1)) throw new UnsupportedError('AveragePool: dilations other than 1 are not imported');
      return B.mk('AvgPool', [c.inputs[0]!], poolAttrs({ ...w, ceil: c.attrInt('ceil_mode', 0) === 1, countIncludePad: c.attrInt('count_include_pad', 0) === 1 }, true));
    }),
  },
  showAttrs: showPool,
});

defineOp({
  name: 'AvgPoolGrad',
  dsl: { internal: 'made by gradient rules (the gradient of AvgPool)' },
  arity: 2,
  infer: ([, x]) => ({ shape: x.shape, dtype: 'f32' }),
  kernel: (ctx) => avgKernel(ctx.inShapes[1], ctx.inShapes[0], ctx.attrs, true),
  grad: (n, h) => [B.mk('AvgPool', [h], n.attrs), null],
  onnx: (e, n, ins) => avgPoolGradOnnx(e, n, ins, () => divisors(windows(n.inputs[1].shape as number[], n.inputs[0].shape as number[], n.attrs), n.attrs.countIncludePad !== false)),
  showAttrs: showPool,
});

defineOp({
  name: 'GlobalAvgPool',
  dsl: { method: 'globalAvgPool', fn: 'globalAvgPool' },
  arity: 1,
  infer([x], _a, src) {
    if (x.shape.length < 3) throw new GraphError(`GlobalAvgPool: expects x [N,C,spatial...], got ${shapeStr(x.shape)}`, src);
    return { shape: [x.shape[0], x.shape[1], ...x.shape.slice(2).map(() => 1)], dtype: 'f32' };
  },
  kernel: (ctx) => reduceKernel('mean', ctx.inShapes[0], ctx.inShapes[0].slice(2).map((_, i) => i + 2), ctx.precision),
  grad: (n, g) => {
    const x = n.inputs[0], axes = x.shape.slice(2).map((_, i) => i + 2);
    return [B.div(B.expandAs(g, x), B.sizeOf(x, axes))];
  },
  onnx: (e, _n, ins) => e.op('GlobalAveragePool', ins),
  onnxImport: { GlobalAveragePool: onnxRule([1], (c) => B.mk('GlobalAvgPool', [c.inputs[0]!])) },
});
