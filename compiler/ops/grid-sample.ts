/**
 * GridSample (ONNX's, PyTorch's F.grid_sample) of x [N, C, H, W] at the points of grid [N, Ho, Wo, 2]:
 * out [N, C, Ho, Wo]. A point (gx, gy) in [−1, 1] maps to pixel coordinates, with align_corners the corner
 * pixels' centers at ±1: ((g + 1)/2)·(size − 1), else their outer edges: ((g + 1)·size − 1)/2. Padding
 * decides points outside: zeros reads 0 for every pixel outside, border clamps the coordinate to
 * [0, size − 1], reflection reflects it off the edges (the centers with align_corners, else the outer
 * edges) and then clamps. Modes: bilinear (the four pixels around the point, weighted), nearest (the
 * pixel rounded half to even, as PyTorch's and onnxruntime's nearbyint) and bicubic (the 4×4 pixels around
 * the unpadded coordinate, weighted by Keys' cubic with A = −0.75, the padding applied to each pixel's
 * index, as PyTorch's). Gradients for x and for the grid (nearest's is zero) are GridSampleGrad's kernels.
 */
import { defineOp, onnxOperand, onnxRule, UnsupportedError } from './op.ts';
import type { Attrs } from '../ir/node.ts';
import { shapeStr } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import * as B from '../ir/build.ts';

/** Round half to even (C's nearbyint in the default rounding mode). */
export const rint = (v: number): number => {
  const r = Math.round(v);
  return Math.abs(v - Math.trunc(v)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

/** Reflects `v` into [lo, hi] (PyTorch's reflect_coordinates). */
function reflect(v: number, lo: number, hi: number): number {
  if (lo === hi) return 0;
  const span = hi - lo, d = Math.abs(v - lo), extra = d % span;
  return Math.floor(d / span) % 2 === 0 ? lo + extra : hi - extra;
}
/** The derivative of `reflect` (±1). */
function reflectSlope(v: number, lo: number, hi: number): number {
  if (lo === hi) return 0;
  const sign = v < lo ? -1 : 1;
  return Math.floor(Math.abs(v - lo) / (hi - lo)) % 2 === 0 ? sign : -sign;
}

const unnormalize = (g: number, size: number, align: boolean): number => (align ? ((g + 1) / 2) * (size - 1) : ((g + 1) * size - 1) / 2);
const clip = (v: number, size: number): number => Math.min(size - 1, Math.max(0, v));
/** The derivative of `clip`: 0 on and past the bounds, as PyTorch's. */
const clipSlope = (v: number, size: number): number => (v <= 0 || v >= size - 1 ? 0 : 1);

/** The pixel coordinate along an axis of `size` pixels of the normalized coordinate g (padding applied). */
function sourceIndex(g: number, size: number, align: boolean, padding: string): number {
  const v = unnormalize(g, size, align);
  if (padding === 'border') return clip(v, size);
  if (padding === 'reflection') return clip(align ? reflect(v, 0, size - 1) : reflect(v, -0.5, size - 0.5), size);
  return v;
}

/** The derivative of `sourceIndex` with respect to g. */
export function sourceSlope(g: number, size: number, align: boolean, padding: string): number {
  const v = unnormalize(g, size, align), dv = align ? (size - 1) / 2 : size / 2;
  if (padding === 'border') return dv * clipSlope(v, size);
  if (padding === 'reflection') {
    const lo = align ? 0 : -0.5, hi = align ? size - 1 : size - 0.5;
    return dv * reflectSlope(v, lo, hi) * clipSlope(reflect(v, lo, hi), size);
  }
  return dv;
}

/** The index of pixel k along an axis of `size` pixels, the padding applied (bicubic's taps), or −1 for a zero. */
function tapIndex(k: number, size: number, align: boolean, padding: string): number {
  let v = k;
  if (padding === 'border') v = clip(v, size);
  else if (padding === 'reflection') v = clip(align ? reflect(v, 0, size - 1) : reflect(v, -0.5, size - 0.5), size);
  const i = Math.trunc(v);
  return i >= 0 && i < size ? i : -1;
}

/** The unpadded pixel coordinate (bicubic's) and its derivative with respect to g. */
const unpadded = (g: number, size: number, align: boolean): number => unnormalize(g, size, align);
export const unpaddedSlope = (size: number, align: boolean): number => (align ? (size - 1) / 2 : size / 2);

const A = -0.75;
const near1 = (x: number) => ((A + 2) * x - (A + 3)) * x * x + 1; // |x| ≤ 1
const far1 = (x: number) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A; // 1 < |x| < 2
const near1Slope = (x: number) => (3 * (A + 2) * x - 2 * (A + 3)) * x;
const far1Slope = (x: number) => (3 * A * x - 10 * A) * x + 8 * A;

/** The cubic weights of pixels −1, 0, 1, 2 around a point t past pixel 0 (0 ≤ t < 1), and their derivatives in t. */
function cubicWeights(t: number, w: Float64Array, dw?: Float64Array): void {
  w[0] = far1(t + 1);
  w[1] = near1(t);
  w[2] = near1(1 - t);
  w[3] = far1(2 - t);
  if (!dw) return;
  dw[0] = far1Slope(t + 1);
  dw[1] = near1Slope(t);
  dw[2] = -near1Slope(1 - t);
  dw[3] = -far1Slope(2 - t);
}

export interface GridAttrs { mode: 'bilinear' | 'nearest' | 'bicubic'; padding: 'zeros' | 'border' | 'reflection'; align: boolean }
export const gridAttrs = (a: Attrs): GridAttrs => a as unknown as GridAttrs;

/**
 * One grid point as GridSample's kernels and its gradients' read it (`read`): its pixel coordinates
 * (`ix`, `iy`, the padding applied) and, bicubic, its 4×4 taps: their indices (`tx`, `ty`, −1 for a zero)
 * and cubic weights (`wx`, `wy`), with `slopes` their derivatives too (`dwx`, `dwy`). Made once per
 * kernel: reading a point allocates nothing.
 */
export class GridPoint {
  ix = 0;
  iy = 0;
  readonly wx = new Float64Array(4);
  readonly wy = new Float64Array(4);
  readonly dwx: Float64Array | undefined;
  readonly dwy: Float64Array | undefined;
  readonly tx = new Int32Array(4);
  readonly ty = new Int32Array(4);
  private readonly bicubic: boolean;
  private readonly align: boolean;
  private readonly padding: string;

  constructor(private readonly H: number, private readonly W: number, a: GridAttrs, slopes: boolean) {
    this.bicubic = a.mode === 'bicubic';
    this.align = a.align;
    this.padding = a.padding;
    this.dwx = slopes ? new Float64Array(4) : undefined;
    this.dwy = slopes ? new Float64Array(4) : undefined;
  }

  /** Reads the point (gx, gy) of the grid. */
  read(gx: number, gy: number): void {
    const { H, W, align, padding } = this;
    this.ix = sourceIndex(gx, W, align, padding);
    this.iy = sourceIndex(gy, H, align, padding);
    if (!this.bicubic) return;
    const ux = unpadded(gx, W, align), uy = unpadded(gy, H, align), x0 = Math.floor(ux), y0 = Math.floor(uy);
    cubicWeights(ux - x0, this.wx, this.dwx);
    cubicWeights(uy - y0, this.wy, this.dwy);
    for (let k = 0; k < 4; k++) {
      this.tx[k] = tapIndex(x0 - 1 + k, W, align, padding);
      this.ty[k] = tapIndex(y0 - 1 + k, H, align, padding);
    }
  }
}

defineOp({
  name: 'GridSample',
  dsl: { fn: 'gridSample' },
  arity: 2,
  infer([x, grid], a, src) {
    if (x.shape.length !== 4 || grid.shape.length !== 4 || grid.shape[3] !== 2)
      throw new GraphError(`GridSample: expects x [N, C, H, W] and grid [N, Ho, Wo, 2], got ${shapeStr(x.shape)} and ${shapeStr(grid.shape)}`, src);
    if (x.shape[0] !== grid.shape[0]) throw new GraphError(`GridSample: x ${shapeStr(x.shape)} and grid ${shapeStr(grid.shape)} differ in N`, src);
    const { mode, padding } = gridAttrs(a);
    if (!['bilinear', 'nearest', 'bicubic'].includes(mode)) throw new GraphError(`GridSample: mode '${mode}' (ONNX has bilinear, nearest and bicubic)`, src);
    if (!['zeros', 'border', 'reflection'].includes(padding)) throw new GraphError(`GridSample: padding '${padding}' (ONNX has zeros, border and reflection)`, src);
    return { shape: [x.shape[0], x.shape[1], grid.shape[1], grid.shape[2]], dtype: 'f32' };
  },
  kernel(ctx) {
    const [N, C, H, W] = ctx.inShapes[0], [, Ho, Wo] = ctx.inShapes[1], P = Ho * Wo, plane = H * W;
    const a = gridAttrs(ctx.attrs), mode = a.mode, pt = new GridPoint(H, W, a, false);
    const { wx, wy, tx: tx4, ty: ty4 } = pt;
    return (ins, out) => {
      const [x, grid] = ins;
      const at = (base: number, yy: number, xx: number) => (yy >= 0 && yy < H && xx >= 0 && xx < W ? x[base + yy * W + xx] : 0);
      for (let n = 0; n < N; n++)
        for (let p = 0; p < P; p++) {
          const gi = (n * P + p) * 2;
          pt.read(grid[gi], grid[gi + 1]);
          const ix = pt.ix, iy = pt.iy;
          if (mode === 'bicubic') {
            for (let c = 0; c < C; c++) {
              const b = (n * C + c) * plane;
              let v = 0;
              for (let j = 0; j < 4; j++) {
                if (ty4[j] < 0) continue;
                let row = 0;
                for (let i = 0; i < 4; i++) if (tx4[i] >= 0) row += wx[i] * x[b + ty4[j] * W + tx4[i]];
                v += wy[j] * row;
              }
              out[(n * C + c) * P + p] = v;
            }
            continue;
          }
          if (mode === 'nearest') {
            const xn = rint(ix), yn = rint(iy);
            for (let c = 0; c < C; c++) out[(n * C + c) * P + p] = at((n * C + c) * plane, yn, xn);
            continue;
          }
          const x0 = Math.floor(ix), y0 = Math.floor(iy), tx = ix - x0, ty = iy - y0;
          for (let c = 0; c < C; c++) {
            const b = (n * C + c) * plane;
            out[(n * C + c) * P + p] =
              (at(b, y0, x0) * (1 - tx) + at(b, y0, x0 + 1) * tx) * (1 - ty) + (at(b, y0 + 1, x0) * (1 - tx) + at(b, y0 + 1, x0 + 1) * tx) * ty;
          }
        }
    };
  },
  // GridSampleGrad's kernels (grid-sample-grad.ts); nearest's value is piecewise constant in the grid
  grad: (n, g) => {
    const [x, grid] = n.inputs, part = (out: string) => B.mk('GridSampleGrad', [x, grid, g], { ...n.attrs, out });
    return [part('x'), n.attrs.mode === 'nearest' ? null : part('grid')];
  },
  onnx: (e, n, ins) => {
    const { mode, padding, align } = gridAttrs(n.attrs);
    return e.op('GridSample', ins, { mode, padding_mode: padding, align_corners: align ? 1 : 0 });
  },
  onnxImport: {
    GridSample: onnxRule([16, 20, 22], (c) => {
      // opset 20 renamed bilinear linear and bicubic cubic, and took ranks above 4
      const linear = c.opset >= 20 ? 'linear' : 'bilinear', cubic = c.opset >= 20 ? 'cubic' : 'bicubic', named = c.attrString('mode', linear);
      if (named !== linear && named !== cubic && named !== 'nearest') throw new UnsupportedError(`attribute 'mode' '${named}' is not supported (opset ${c.opset} has ${linear}, nearest and ${cubic})`);
      const padding = c.attrString('padding_mode', 'zeros');
      if (!['zeros', 'border', 'reflection'].includes(padding)) throw new UnsupportedError(`attribute 'padding_mode' '${padding}' (ONNX has zeros, border and reflection)`);
      const x = onnxOperand(c, 0), grid = onnxOperand(c, 1);
      if (x.shape.length !== 4) throw new UnsupportedError(`X of shape ${shapeStr(x.shape)} (graphc samples x [N, C, H, W])`);
      return B.mk('GridSample', [x, grid], { mode: named === linear ? 'bilinear' : named === cubic ? 'bicubic' : 'nearest', padding, align: c.attrInt('align_corners', 0) !== 0 });
    }),
  },
  showAttrs: (a) => `${a.mode} ${a.padding}${a.align ? ' align_corners' : ''}`,
});
