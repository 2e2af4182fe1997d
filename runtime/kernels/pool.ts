/**
 * Two-dimensional pooling kernels (NCHW): max and average pooling and their gradients as plain loops over
 * each window's rows and columns, the window clipped to the input by tables made once per shape (no
 * per-element index arithmetic beyond a row offset). They compute what the general windows of
 * compiler/ops/pool.ts compute: a max window's value and gradient go to its first maximum in row-major
 * window order (a NaN wins and ends the search); an average divides by the window's extent clipped to
 * the padded input, or to the input where padding is excluded (PyTorch's avg_pool2d).
 */
import type { Kernel } from './kernel.ts';
import { heap } from './heap.ts';
import { poolKernels } from './wasm/pool.ts';

export interface Pool2d {
  /** Planes (N·C), input rows and columns, output rows and columns. */
  readonly planes: number; readonly H: number; readonly W: number; readonly OH: number; readonly OW: number;
  readonly kernel: readonly number[]; readonly stride: readonly number[];
  /** [top, left, bottom, right] */
  readonly pads: readonly number[];
  readonly dilation: readonly number[];
}

/** Per output position along one axis: the first input coordinate of its window, and its taps inside the input [lo, hi). */
function axis(out: number, size: number, k: number, s: number, p: number, d: number) {
  const start = new Int32Array(out), lo = new Int32Array(out), hi = new Int32Array(out);
  for (let o = 0; o < out; o++) {
    const at = o * s - p;
    start[o] = at;
    let l = 0;
    while (l < k && at + l * d < 0) l++;
    let h = k;
    while (h > l && at + (h - 1) * d >= size) h--;
    lo[o] = l;
    hi[o] = h;
  }
  return { start, lo, hi };
}

/** The average's divisor along one axis (the window clipped to the padded input, or to the input). */
function divisors(out: number, size: number, k: number, s: number, p0: number, p1: number, includePad: boolean): Float64Array {
  const dv = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    const b0 = o * s - p0, b1 = Math.min(b0 + k, size + p1);
    dv[o] = includePad ? b1 - b0 : Math.min(b1, size) - Math.max(b0, 0);
  }
  return dv;
}

const tables = (g: Pool2d) => ({
  y: axis(g.OH, g.H, g.kernel[0], g.stride[0], g.pads[0], g.dilation[0]),
  x: axis(g.OW, g.W, g.kernel[1], g.stride[1], g.pads[1], g.dilation[1]),
});

/**
 * Max pooling (`grad` false: y = maxpool(x)) or its gradient (`grad` true: inputs g and x, the output
 * dx with each g added at its window's first maximum of x).
 */
export function maxPool2dKernel(g: Pool2d, grad: boolean): Kernel {
  const { y, x } = tables(g);
  const { planes, H, W, OH, OW } = g, dy = g.dilation[0] * W, dx = g.dilation[1], S = H * W;
  const ylo = y.lo, yhi = y.hi, ystart = y.start, xlo = x.lo, xhi = x.hi, xstart = x.start;
  if (g.kernel[0] === 2 && g.kernel[1] === 2 && dy === W && dx === 1 && inside(y, 2) && inside(x, 2)) return max2x2(g, grad);
  // the first maximum's offset of window (oy, ox) of the plane at `base`, or -1 (a window of padding only);
  // a NaN is the maximum and ends the search
  const argmax = (src: Float32Array, base: number, oy: number, ox: number): number => {
    const col = base + ystart[oy] * W + xstart[ox];
    const y1 = yhi[oy], x0 = xlo[ox], x1 = xhi[ox];
    let best = -Infinity, arg = -1;
    for (let ky = ylo[oy]; ky < y1; ky++) {
      const r = col + ky * dy;
      for (let kx = x0; kx < x1; kx++) {
        const i = r + kx * dx, v = src[i];
        if (v !== v) return i;
        if (v > best || arg < 0) { best = v; arg = i; }
      }
    }
    return arg;
  };
  if (grad)
    return (ins, out) => {
      const gr = ins[0], src = ins[1];
      out.fill(0);
      for (let pl = 0, o = 0; pl < planes; pl++)
        for (let oy = 0; oy < OH; oy++)
          for (let ox = 0; ox < OW; ox++, o++) {
            const arg = argmax(src, pl * S, oy, ox);
            if (arg >= 0) out[arg] += gr[o];
          }
    };
  return (ins, out) => {
    const src = ins[0];
    for (let pl = 0, o = 0; pl < planes; pl++)
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++, o++) {
          const arg = argmax(src, pl * S, oy, ox);
          out[o] = arg < 0 ? -Infinity : src[arg];
        }
  };
}

/** Whether every window along an axis lies inside the input (no padding reached). */
const inside = (t: ReturnType<typeof axis>, k: number) => t.lo.every((l, o) => l === 0 && t.hi[o] === k);

/**
 * Max pooling and its gradient for 2×2 windows that all lie inside the input: four taps, read directly.
 * At stride 2 with the buffers in the heap, four outputs at a time in WebAssembly SIMD (wasm/pool.ts), the
 * last OW mod 4 outputs of each row here; inputs 4 wide with every row covered (4×4 → 2×2), two output rows
 * at a time.
 */
function max2x2(g: Pool2d, grad: boolean): Kernel {
  const { planes, H, W, OH, OW } = g, S = H * W, sy = g.stride[0] * W, sx = g.stride[1];
  const h = heap(), k = h && g.stride[0] === 2 && g.stride[1] === 2 ? poolKernels(h.memory) : null;
  const OW4 = k ? OW - (OW % 4) : 0;
  // inputs no window covers (an odd row or column at the end)
  const uncovered = k !== null && (H > 2 * OH || W > 2 * OW);
  // the first maximum of the taps at i, i+1, i+W, i+W+1 (a NaN is the maximum and ends the search)
  const argmax = (src: Float32Array, i: number): number => {
    let arg = i, best = src[i];
    if (best !== best) return i;
    let v = src[i + 1];
    if (v > best) { best = v; arg = i + 1; } else if (v !== v) return i + 1;
    v = src[i + W];
    if (v > best) { best = v; arg = i + W; } else if (v !== v) return i + W;
    v = src[i + W + 1];
    if (v > best) arg = i + W + 1; else if (v !== v) return i + W + 1;
    return arg;
  };
  // the last OW mod 4 outputs of each row: the SIMD kernels again over the row's last four outputs, which
  // writes some of them a second time with the same values (the windows do not overlap: stride 2)
  const tail = (OW - 4) * 4;
  const jsForward = (src: Float32Array, out: Float32Array, x0: number) => {
    for (let pl = 0; pl < planes; pl++)
      for (let oy = 0, row = pl * S, o = pl * OH * OW; oy < OH; oy++, row += sy, o += OW)
        for (let ox = x0, i = row + ox * sx; ox < OW; ox++, i += sx) out[o + ox] = src[argmax(src, i)];
  };
  const simd = (ins: readonly Float32Array[], out: Float32Array) => k !== null && OW4 > 0 && h!.owns(ins[0]) && (ins.length < 2 || h!.owns(ins[1])) && h!.owns(out);
  // 4 wide, all rows covered: the planes' rows are one sequence of R output rows, two a group; an odd last
  // row goes with the one before it again (the same values written twice)
  const R = planes * OH;
  if (k !== null && W === 4 && H === 2 * OH && R >= 2) {
    const w4 = (ins: readonly Float32Array[], out: Float32Array) => h!.owns(ins[0]) && (ins.length < 2 || h!.owns(ins[1])) && h!.owns(out);
    const nb = (R >> 1) * 16, last = (R - 2) * 8;
    if (grad)
      return (ins, out) => {
        const gr = ins[0], src = ins[1];
        if (!w4(ins, out)) {
          out.fill(0);
          return jsGradAll(gr, src, out);
        }
        k.maxPool2x2W4Grad(gr.byteOffset, src.byteOffset, out.byteOffset, 1, 1, 0, 16, 0, nb);
        if (R & 1) k.maxPool2x2W4Grad(gr.byteOffset + last, src.byteOffset + 4 * last, out.byteOffset + 4 * last, 1, 1, 0, 16, 0, 16);
      };
    return (ins, out) => {
      const src = ins[0];
      if (!w4(ins, out)) return jsForward(src, out, 0);
      k.maxPool2x2W4(src.byteOffset, out.byteOffset, 1, 1, 0, 16, 0, nb);
      if (R & 1) k.maxPool2x2W4(src.byteOffset + 4 * last, out.byteOffset + last, 1, 1, 0, 16, 0, 16);
    };
  }
  if (grad)
    return (ins, out) => {
      const gr = ins[0], src = ins[1];
      if (!simd(ins, out)) {
        out.fill(0);
        return jsGradAll(gr, src, out);
      }
      if (uncovered) out.fill(0);
      k!.maxPool2x2Grad(gr.byteOffset, src.byteOffset, out.byteOffset, planes, OH, S * 4, W * 4, OW * 4, OW4 * 4);
      if (OW4 < OW) k!.maxPool2x2Grad(gr.byteOffset + tail, src.byteOffset + 2 * tail, out.byteOffset + 2 * tail, planes, OH, S * 4, W * 4, OW * 4, 16);
    };
  // every window's gradient added at its first maximum, dx cleared first (the JS path)
  function jsGradAll(gr: Float32Array, src: Float32Array, out: Float32Array) {
    for (let pl = 0, o = 0; pl < planes; pl++)
      for (let oy = 0, row = pl * S; oy < OH; oy++, row += sy)
        for (let ox = 0, i = row; ox < OW; ox++, o++, i += sx) out[argmax(src, i)] += gr[o];
  }
  return (ins, out) => {
    const src = ins[0];
    if (!simd(ins, out)) return jsForward(src, out, 0);
    k!.maxPool2x2(src.byteOffset, out.byteOffset, planes, OH, S * 4, W * 4, OW * 4, OW4 * 4);
    if (OW4 < OW) k!.maxPool2x2(src.byteOffset + 2 * tail, out.byteOffset + tail, planes, OH, S * 4, W * 4, OW * 4, 16);
  };
}

/** Average pooling (`back` false) or its adjoint spreading g over the windows (`back` true). */
export function avgPool2dKernel(g: Pool2d, includePad: boolean, back: boolean): Kernel {
  const { y, x } = tables(g);
  const { planes, H, W, OH, OW } = g, dy = g.dilation[0] * W, dx = g.dilation[1], S = H * W;
  const divY = divisors(OH, H, g.kernel[0], g.stride[0], g.pads[0], g.pads[2], includePad);
  const divX = divisors(OW, W, g.kernel[1], g.stride[1], g.pads[1], g.pads[3], includePad);
  return (ins, out) => {
    const src = ins[0];
    if (back) out.fill(0);
    for (let pl = 0, o = 0; pl < planes; pl++) {
      const base = pl * S;
      for (let oy = 0; oy < OH; oy++) {
        const y0 = y.lo[oy], y1 = y.hi[oy], row = base + y.start[oy] * W, dvy = divY[oy];
        for (let ox = 0; ox < OW; ox++, o++) {
          const x0 = x.lo[ox], x1 = x.hi[ox], col = row + x.start[ox], dv = dvy * divX[ox];
          if (back) {
            const gv = src[o] / dv;
            for (let ky = y0; ky < y1; ky++) {
              const r = col + ky * dy;
              for (let kx = x0; kx < x1; kx++) out[r + kx * dx] += gv;
            }
          } else {
            let s = 0;
            for (let ky = y0; ky < y1; ky++) {
              const r = col + ky * dy;
              for (let kx = x0; kx < x1; kx++) s += src[r + kx * dx];
            }
            out[o] = s / dv;
          }
        }
      }
    }
  };
}
