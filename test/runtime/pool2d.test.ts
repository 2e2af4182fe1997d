// The 2-D pooling kernels against naive float64 loops written from PyTorch's definitions (max_pool2d:
// the first maximum of each window, a NaN propagating; avg_pool2d: the window [start, min(start + k,
// size + pad)) counted whole, or clipped to the input where padding is excluded).
import { describe, expect, it } from 'vitest';
import { avgPool2dKernel, maxPool2dKernel, type Pool2d } from '../../runtime/kernels/pool.ts';
import { heap } from '../../runtime/kernels/heap.ts';

interface Case { name: string; planes: number; H: number; W: number; k: [number, number]; s: [number, number]; p: [number, number, number, number]; d: [number, number]; ceil: boolean }

function outSize(size: number, k: number, s: number, p0: number, p1: number, d: number, ceil: boolean): number {
  const span = size + p0 + p1 - d * (k - 1) - 1;
  let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (o - 1) * s >= size + p0) o--;
  return o;
}

const cases: Case[] = [
  { name: '2x2 stride 2', planes: 6, H: 8, W: 8, k: [2, 2], s: [2, 2], p: [0, 0, 0, 0], d: [1, 1], ceil: false },
  { name: '2x2 stride 2, odd size (floor)', planes: 3, H: 11, W: 13, k: [2, 2], s: [2, 2], p: [0, 0, 0, 0], d: [1, 1], ceil: false },
  { name: '2x2 stride 2, 26x26 (three SIMD groups, then the SIMD kernel again over the last four outputs of each row)', planes: 5, H: 26, W: 26, k: [2, 2], s: [2, 2], p: [0, 0, 0, 0], d: [1, 1], ceil: false },
  { name: '2x2 stride 2, 4x4 (inputs 4 wide: two output rows a SIMD group)', planes: 6, H: 4, W: 4, k: [2, 2], s: [2, 2], p: [0, 0, 0, 0], d: [1, 1], ceil: false },
  { name: '2x2 stride 2, 6x4 (inputs 4 wide, an odd number of output rows)', planes: 3, H: 6, W: 4, k: [2, 2], s: [2, 2], p: [0, 0, 0, 0], d: [1, 1], ceil: false },
  { name: '2x2 stride 2, 5x4 (inputs 4 wide, the last row uncovered)', planes: 3, H: 5, W: 4, k: [2, 2], s: [2, 2], p: [0, 0, 0, 0], d: [1, 1], ceil: false },
  { name: '2x2 stride 1', planes: 2, H: 6, W: 9, k: [2, 2], s: [1, 1], p: [0, 0, 0, 0], d: [1, 1], ceil: false },
  { name: '3x3 stride 2 pad 1 ceil', planes: 2, H: 6, W: 5, k: [3, 3], s: [2, 2], p: [1, 1, 1, 1], d: [1, 1], ceil: true },
  { name: '3x2 stride (1,2) pads (1,0,1,1)', planes: 2, H: 7, W: 6, k: [3, 2], s: [1, 2], p: [1, 0, 1, 1], d: [1, 1], ceil: false },
  { name: '2x3 dilation (2,1) stride 1', planes: 2, H: 7, W: 7, k: [2, 3], s: [1, 1], p: [0, 1, 0, 1], d: [2, 1], ceil: false },
];

function geometry(c: Case): Pool2d {
  const OH = outSize(c.H, c.k[0], c.s[0], c.p[0], c.p[2], c.d[0], c.ceil), OW = outSize(c.W, c.k[1], c.s[1], c.p[1], c.p[3], c.d[1], c.ceil);
  return { planes: c.planes, H: c.H, W: c.W, OH, OW, kernel: c.k, stride: c.s, pads: c.p, dilation: c.d };
}

/** Values with ties (few distinct levels), a NaN and an -Infinity, seeded. */
function data(n: number, seed: number): Float32Array {
  let s = seed;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    a[i] = ((s >> 8) % 7) - 3 + (i % 5 === 0 ? 0 : ((s >> 4) % 100) / 100);
  }
  a[Math.floor(n / 3)] = NaN;
  a[Math.floor(n / 2)] = -Infinity;
  return a;
}

/** The window's taps (flat input offsets) in row-major window order, for output (pl, oy, ox). */
function taps(g: Pool2d, pl: number, oy: number, ox: number): number[] {
  const t: number[] = [];
  for (let ky = 0; ky < g.kernel[0]; ky++)
    for (let kx = 0; kx < g.kernel[1]; kx++) {
      const iy = oy * g.stride[0] - g.pads[0] + ky * g.dilation[0], ix = ox * g.stride[1] - g.pads[1] + kx * g.dilation[1];
      if (iy >= 0 && iy < g.H && ix >= 0 && ix < g.W) t.push((pl * g.H + iy) * g.W + ix);
    }
  return t;
}

function refMax(g: Pool2d, x: Float32Array, grad: Float32Array | null) {
  const y = new Float64Array(g.planes * g.OH * g.OW), dx = new Float64Array(x.length);
  for (let pl = 0, o = 0; pl < g.planes; pl++)
    for (let oy = 0; oy < g.OH; oy++)
      for (let ox = 0; ox < g.OW; ox++, o++) {
        let arg = -1;
        for (const i of taps(g, pl, oy, ox)) {
          if (Number.isNaN(x[i])) { arg = i; break; }
          if (arg < 0 || x[i] > x[arg]) arg = i;
        }
        y[o] = arg < 0 ? -Infinity : x[arg];
        if (grad && arg >= 0) dx[arg] += grad[o];
      }
  return { y, dx };
}

function refAvg(g: Pool2d, x: Float32Array, grad: Float32Array, includePad: boolean) {
  const y = new Float64Array(g.planes * g.OH * g.OW), dx = new Float64Array(x.length);
  const count = (o: number, a: 0 | 1, size: number) => {
    const start = o * g.stride[a] - g.pads[a], end = Math.min(start + g.kernel[a], size + g.pads[a + 2]);
    return includePad ? end - start : Math.min(end, size) - Math.max(start, 0);
  };
  for (let pl = 0, o = 0; pl < g.planes; pl++)
    for (let oy = 0; oy < g.OH; oy++)
      for (let ox = 0; ox < g.OW; ox++, o++) {
        const div = count(oy, 0, g.H) * count(ox, 1, g.W), t = taps(g, pl, oy, ox);
        y[o] = t.reduce((s, i) => s + x[i], 0) / div;
        for (const i of t) dx[i] += grad[o] / div;
      }
  return { y, dx };
}

const close = (a: Float32Array, b: Float64Array) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(b[i]) || !Number.isFinite(b[i])) expect(a[i]).toBe(Math.fround(b[i]));
    else expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(b[i])));
  }
};

describe('2-D pooling kernels against naive loops', () => {
  for (const c of cases) {
    const g = geometry(c), n = c.planes * c.H * c.W, m = c.planes * g.OH * g.OW;
    const x = data(n, 7), gr = data(m, 11).map((v) => (Number.isFinite(v) ? v : 0.5));
    it(`max pooling, ${c.name}`, () => {
      const ref = refMax(g, x, gr);
      const y = new Float32Array(m), dx = new Float32Array(n).fill(9);
      maxPool2dKernel(g, false)([x], y);
      maxPool2dKernel(g, true)([gr, x], dx);
      close(y, ref.y);
      close(dx, ref.dx);
    });
    // in the runtime's heap, where 2×2 windows at stride 2 take the WebAssembly SIMD kernels
    it(`max pooling in the heap, ${c.name}`, () => {
      const h = heap()!, owner = {};
      const ref = refMax(g, x, gr);
      const xh = h.alloc(n, owner), gh = h.alloc(m, owner), y = h.alloc(m, owner), dx = h.alloc(n, owner);
      xh.set(x);
      gh.set(gr);
      dx.fill(9);
      maxPool2dKernel(g, false)([xh], y);
      maxPool2dKernel(g, true)([gh, xh], dx);
      close(y, ref.y);
      close(dx, ref.dx);
    });
    if (c.d[0] === 1 && c.d[1] === 1)
      for (const includePad of [true, false])
        it(`average pooling, ${c.name}, padding ${includePad ? 'counted' : 'excluded'}`, () => {
          const xf = x.map((v) => (Number.isFinite(v) ? v : 1));
          const ref = refAvg(g, xf, gr, includePad);
          const y = new Float32Array(m), dx = new Float32Array(n).fill(9);
          avgPool2dKernel(g, includePad, false)([xf], y);
          avgPool2dKernel(g, includePad, true)([gr], dx);
          close(y, ref.y);
          close(dx, ref.dx);
        });
  }
});
