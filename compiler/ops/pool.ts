/**
 * Pooling over any number of spatial axes (NCL, NCHW, NCDHW), as ONNX's MaxPool, AveragePool and
 * GlobalAveragePool define them (PyTorch's max_pool1d/2d/3d, avg_pool1d/2d/3d, adaptive_avg_pool2d(1)).
 * Attributes, one entry per spatial axis: kernel, stride, pads (every start, then every end), dilation
 * (max pooling), ceil (ceil_mode), and for the average countIncludePad. Max pooling pads with −∞; its
 * gradient routes each output gradient to the first maximum of its window (MaxPoolGrad, recomputing it).
 * The average's gradient spreads each output gradient over its window (AvgPoolGrad, whose own gradient is
 * the average again). Their ONNX forms are in window-onnx.ts.
 */
import { defineOp, needStatic, onnxRule, UnsupportedError, type OnnxImportCtx } from './op.ts';
import type { Attrs, Node } from '../ir/node.ts';
import { shapeStr, type Dim } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import * as B from '../ir/build.ts';
import { checkWindow, sweep, windowAttrs } from './conv.ts';
import { reduceKernel } from '../../runtime/kernels/reduce.ts';
import { avgPoolGradOnnx, maxPoolGradOnnx } from './window-onnx.ts';
import { avgPool2dKernel, maxPool2dKernel, type Pool2d } from '../../runtime/kernels/pool.ts';

const k2 = (a: Attrs) => a.kernel as number[];
const s2 = (a: Attrs) => (a.stride as number[] | undefined) ?? k2(a);
const p4 = (a: Attrs) => (a.pads as number[] | undefined) ?? Array<number>(2 * k2(a).length).fill(0);
const dil = (a: Attrs) => (a.dilation as number[] | undefined) ?? Array<number>(k2(a).length).fill(1);
const prod = (a: readonly number[]) => a.reduce((p, d) => p * d, 1);

/** Pooling attributes in canonical form; the stride defaults to the kernel (PyTorch's default). */
export function poolAttrs(a: { kernel: number[]; stride?: number[]; pads?: number[]; dilation?: number[]; ceil?: boolean; countIncludePad?: boolean }, avg = false): Attrs {
  const base: Record<string, Attrs[string]> = { kernel: a.kernel, stride: a.stride ?? a.kernel, pads: a.pads ?? Array<number>(2 * a.kernel.length).fill(0), ceil: a.ceil ?? false };
  // a dilation is kept only where it is not all ones, so 2-D pooling reads as it always has
  if (a.dilation && a.dilation.some((d) => d !== 1)) base.dilation = a.dilation;
  return avg ? { ...base, countIncludePad: a.countIncludePad ?? true } : base;
}

function poolShape(x: readonly Dim[], a: Attrs, src: Node['src'], op: string): Dim[] {
  const k = k2(a), s = s2(a), p = p4(a), dl = dil(a), d = k.length, ceil = a.ceil === true;
  if (x.length !== d + 2) throw new GraphError(`${op}: expects x [N,C,${d} spatial] for a ${d}-axis window, got ${shapeStr(x)}`, src);
  if (s.length !== d || p.length !== 2 * d || dl.length !== d) throw new GraphError(`${op}: a ${d}-axis window needs ${d} strides and ${2 * d} pads, got [${s}] and [${p}]`, src);
  if (k.some((kk) => !Number.isSafeInteger(kk) || kk < 1)) throw new GraphError(`${op}: kernel must be integers 1 or more, got [${k}]`, src);
  checkWindow(op, { stride: s, pads: p, dilation: dl }, src);
  // every window reaches the input (onnxruntime's rule; PyTorch's, at most half the kernel, is the DSL's)
  if (k.some((kk, i) => p[i] >= kk || p[i + d] >= kk)) throw new GraphError(`${op}: padding [${p}] must be smaller than the kernel [${k}]`, src);
  const out = k.map((kk, i) => {
    let o = sweep(x[i + 2], kk, s[i], p[i], p[i + d], dl[i], ceil);
    // ceil mode: the last window must start inside the input or its left padding (PyTorch's rule)
    if (ceil && typeof o === 'number' && (o - 1) * s[i] >= (x[i + 2] as number) + p[i]) o--;
    return o;
  });
  if (out.some((o) => typeof o === 'number' && o < 1)) throw new GraphError(`${op}: a ${k.join('×')} window does not fit ${shapeStr(x)}`, src);
  return [x[0], x[1], ...out];
}

/**
 * The windows of one plane: for output position o, the input offsets it reads (inside the input, in window
 * order) are offs[starts[o]..starts[o+1]); div[o] is the average's divisor (PyTorch's avg_pool: the window
 * clipped to the padded input, or to the input when padding is excluded).
 */
function windows(x: readonly number[], y: readonly number[], a: Attrs, includePad = true) {
  const size = x.slice(2), out = y.slice(2), d = size.length;
  const k = k2(a), s = s2(a), p = p4(a), dl = dil(a);
  const P = prod(out), K = prod(k);
  const starts = new Int32Array(P + 1), div = new Float64Array(P);
  const list: number[] = [];
  const o = new Array<number>(d).fill(0), kk = new Array<number>(d).fill(0);
  for (let q = 0; q < P; q++) {
    for (let i = d - 1, r = q; i >= 0; i--) { o[i] = r % out[i]; r = Math.floor(r / out[i]); }
    starts[q] = list.length;
    for (let w = 0; w < K; w++) {
      for (let i = d - 1, r = w; i >= 0; i--) { kk[i] = r % k[i]; r = Math.floor(r / k[i]); }
      let off = 0, inside = true;
      for (let i = 0; i < d; i++) {
        const at = o[i] * s[i] - p[i] + kk[i] * dl[i];
        if (at < 0 || at >= size[i]) { inside = false; break; }
        off = off * size[i] + at;
      }
      if (inside) list.push(off);
    }
    let dv = 1;
    for (let i = 0; i < d; i++) {
      const b0 = o[i] * s[i] - p[i], b1 = Math.min(b0 + k[i], size[i] + p[i + d]);
      dv *= includePad ? b1 - b0 : Math.min(b1, size[i]) - Math.max(b0, 0);
    }
    div[q] = dv;
  }
  starts[P] = list.length;
  return { planes: x[0] * x[1], S: prod(size), P, starts, offs: Int32Array.from(list), div };
}

/** A 2-D pooling's geometry for the kernels of runtime/kernels/pool.ts, or null for other ranks. */
function pool2d(x: readonly number[], y: readonly number[], a: Attrs): Pool2d | null {
  if (x.length !== 4) return null;
  return { planes: x[0] * x[1], H: x[2], W: x[3], OH: y[2], OW: y[3], kernel: k2(a), stride: s2(a), pads: p4(a), dilation: dil(a) };
}

const showPool = (a: Attrs) => `kernel=[${k2(a)}] stride=[${s2(a)}]${p4(a).some((v) => v) ? ` pads=[${p4(a)}]` : ''}${dil(a).some((v) => v !== 1) ? ` dilation=[${dil(a)}]` : ''}${a.ceil ? ' ceil' : ''}${a.countIncludePad === false ? ' excludePad' : ''}`;

/** For each output, the input offset of its window's first maximum (−1 for a window of padding only). */
function argmax(x: Float32Array, at: Int32Array, w: ReturnType<typeof windows>): void {
  let o = 0;
  for (let pl = 0; pl < w.planes; pl++) {
    const base = pl * w.S;
    for (let q = 0; q < w.P; q++, o++) {
      let best = -Infinity, arg = -1;
      for (let j = w.starts[q]; j < w.starts[q + 1]; j++) {
        const v = x[base + w.offs[j]];
        if (v > best || arg < 0 || v !== v) { best = v; arg = base + w.offs[j]; if (v !== v) break; }
      }
      at[o] = arg;
    }
  }
}

/**
 * Refuses an attribute a file sets before the opset that introduced it (a value other than the one the
 * older form implies: ceil_mode 0, dilations of 1).
 */
function newerAttrs(c: OnnxImportCtx, op: string, since: [string, number][]): void {
  for (const [name, v] of since) {
    if (c.opset >= v) continue;
    const set = name === 'dilations' ? (c.attrInts(name) ?? []).some((d) => d !== 1) : c.attrInt(name, 0) !== 0;
    if (set) throw new UnsupportedError(`${op}: attribute '${name}' before opset ${v}, which introduced it`);
  }
}

defineOp({
  name: 'MaxPool',
  dsl: { method: 'maxPool2d', fn: 'maxPool2d' },
  arity: 1,
  infer: ([x], a, src) => ({ shape: poolShape(x.shape, a, src, 'MaxPool'), dtype: 'f32' }),
  kernel(ctx) {
    const g2 = pool2d(ctx.inShapes[0], ctx.outShape, ctx.attrs);
    if (g2) return maxPool2dKernel(g2, false);
    const w = windows(ctx.inShapes[0], ctx.outShape, ctx.attrs), at = new Int32Array(ctx.outShape.reduce((p, d) => p * d, 1));
    return (ins, out) => { const x = ins[0]; argmax(x, at, w); for (let i = 0; i < at.length; i++) out[i] = at[i] < 0 ? -Infinity : x[at[i]]; };
  },
  grad: (n, g) => [B.mk('MaxPoolGrad', [g, n.inputs[0]], n.attrs)],
  onnx: (e, n, ins) => e.op('MaxPool', ins, { kernel_shape: k2(n.attrs), strides: s2(n.attrs), pads: p4(n.attrs), ...(n.attrs.dilation ? { dilations: dil(n.attrs) } : {}), ceil_mode: n.attrs.ceil ? 1 : 0 }),
  onnxImport: {
    MaxPool: onnxRule([1, 8, 10, 11, 12, 22], (c) => {
      // ceil_mode and dilations are opset 10's: an older file giving them is refused, never read
      newerAttrs(c, 'MaxPool', [['ceil_mode', 10], ['dilations', 10]]);
      const w = windowAttrs(c, 'MaxPool');
      // the indices' layout (from opset 8): row-major (0) or column-major (1) offsets in each plane
      const order = c.opset >= 8 ? c.attrInt('storage_order', 0) : 0;
      if (order !== 0 && order !== 1) throw new UnsupportedError(`MaxPool: storage_order ${order}`);
      const x = c.inputs[0]!, attrs = poolAttrs({ ...w, ceil: c.attrInt('ceil_mode', 0) === 1 });
      const y = B.mk('MaxPool', [x], attrs);
      if (c.outputs < 2) return y;
      if (!x.shape.every((d) => typeof d === 'number')) needStatic(`MaxPool: indices over the symbolic shape ${shapeStr(x.shape)}`, x.shape);
      const size = prod(x.shape as number[]);
      // indices are held as float32 values in graphc's runtime: exact up to 2^24
      if (size > 2 ** 24) throw new UnsupportedError(`MaxPool: indices into ${size} elements (exact up to 2^24)`);
      return [y, B.mk('MaxPoolIndex', [x], { ...attrs, storageOrder: order })];
    }),
  },
  showAttrs: showPool,
});

/**
 * MaxPool's second ONNX output: each window's first maximum as an offset into the whole input (planes
 * N·C in order), within its plane row-major (storageOrder 0) or column-major (1, the first spatial axis
 * fastest); −1 for a window of padding only.
 */
defineOp({
  name: 'MaxPoolIndex',
  dsl: { internal: "read from ONNX files by the importer (MaxPool's Indices output)" },
  arity: 1,
  infer: ([x], a, src) => ({ shape: poolShape(x.shape, a, src, 'MaxPool'), dtype: 'i64' }),
  kernel(ctx) {
    const x = ctx.inShapes[0], size = x.slice(2), S = prod(size);
    const w = windows(x, ctx.outShape, ctx.attrs), at = new Int32Array(prod(ctx.outShape));
    const colMajor = ctx.attrs.storageOrder === 1;
    // an offset in a plane, row-major, as its column-major offset (axis i's stride: the sizes before it)
    const colStride = size.map((_, i) => prod(size.slice(0, i)));
    const transpose = (r: number) => {
      let off = 0;
      for (let i = size.length - 1, rest = r; i >= 0; i--) {
        off += (rest % size[i]) * colStride[i];
        rest = Math.floor(rest / size[i]);
      }
      return off;
    };
    return (ins, out) => {
      argmax(ins[0], at, w);
      for (let i = 0; i < at.length; i++) {
        const a = at[i];
        out[i] = a < 0 ? -1 : colMajor ? a - (a % S) + transpose(a % S) : a;
      }
    };
  },
  grad: () => [null],
  onnx: (e, n, ins) => e.output(e.op('MaxPool', ins, { kernel_shape: k2(n.attrs), strides: s2(n.attrs), pads: p4(n.attrs), ...(n.attrs.dilation ? { dilations: dil(n.attrs) } : {}), ceil_mode: n.attrs.ceil ? 1 : 0, storage_order: n.attrs.storageOrder as number }, 2), 1),
  showAttrs: (a) => `${showPool(a)}${a.storageOrder === 1 ? ' column-major' : ''}`,
});

defineOp({
  name: 'MaxPoolGrad',
  dsl: { internal: 'made by gradient rules (the gradient of MaxPool)' },
  arity: 2,
  infer: ([, x]) => ({ shape: x.shape, dtype: 'f32' }),
  kernel(ctx) {
    const g2 = pool2d(ctx.inShapes[1], ctx.inShapes[0], ctx.attrs);
    if (g2) return maxPool2dKernel(g2, true);
    const w = windows(ctx.inShapes[1], ctx.inShapes[0], ctx.attrs), at = new Int32Array(ctx.inShapes[0].reduce((p, d) => p * d, 1));
    return (ins, out) => { const [g, x] = ins; argmax(x, at, w); out.fill(0); for (let i = 0; i < at.length; i++) if (at[i] >= 0) out[at[i]] += g[i]; };
  },
  grad: (n) => {
    throw new GraphError('MaxPool: second derivatives are not supported', n.src);
  },
  onnx: maxPoolGradOnnx,
  showAttrs: showPool,
});

/** Average pooling forward (`back` false) or its adjoint, spreading g over the windows (`back` true). */
function avgKernel(x: readonly number[], y: readonly number[], a: Attrs, back: boolean) {
  const g2 = pool2d(x, y, a);
  if (g2) return avgPool2dKernel(g2, a.countIncludePad !== false, back);
  const w = windows(x, y, a, a.countIncludePad !== false);
  return (ins: readonly Float32Array[], out: Float32Array) => {
    const src = ins[0];
    if (back) out.fill(0);
    for (let pl = 0, o = 0; pl < w.planes; pl++) {
      const base = pl * w.S;
      for (let q = 0; q < w.P; q++, o++) {
        const j0 = w.starts[q], j1 = w.starts[q + 1];
        if (back) {
          const gv = src[o] / w.div[q];
          for (let j = j0; j < j1; j++) out[base + w.offs[j]] += gv;
        } else {
          let s = 0;
          for (let j = j0; j < j1; j++) s += src[base + w.offs[j]];
          out[o] = s / w.div[q];
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
    AveragePool: onnxRule([7, 10, 11, 19, 22], (c) => {
      newerAttrs(c, 'AveragePool', [['ceil_mode', 10], ['dilations', 19]]);
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
  onnx: (e, n, ins) => avgPoolGradOnnx(e, n, ins, () => windows(n.inputs[1].shape as number[], n.inputs[0].shape as number[], n.attrs, n.attrs.countIncludePad !== false).div),
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
  onnxImport: { GlobalAveragePool: onnxRule([1, 22], (c) => B.mk('GlobalAvgPool', [c.inputs[0]!])) },
});
