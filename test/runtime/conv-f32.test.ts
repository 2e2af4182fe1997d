// The float32 convolution kernels (the forward's patches packed a few images at a time with the WebAssembly GEMM
// writing NCHW; the layout moves of all three in WebAssembly) against naive float64 loops written from the
// definition: y[n,o,oy,ox] = b[o] + Σ w[o,c,ky,kx] · x[n, g·Cg + c, oy·s − p + ky·d, ox·s − p + kx·d] over
// the channels of o's group, zero outside the input; dx and dW are the same sum read the other way.
import { describe, expect, it } from 'vitest';
import { convBackInputKernel, convBackWeightKernel, convKernel, type ConvGeom } from '../../runtime/kernels/conv.ts';
import { heap } from '../../runtime/kernels/heap.ts';
import { expectEachClose } from '../support/close.ts';

interface Case { name: string; N: number; C: number; O: number; size: [number, number]; k: [number, number]; s: [number, number]; p: [number, number]; d: [number, number]; group: number }
const cases: Case[] = [
  { name: 'digits conv1: 1→8, 3×3 pad 1 on 8×8', N: 3, C: 1, O: 8, size: [8, 8], k: [3, 3], s: [1, 1], p: [1, 1], d: [1, 1], group: 1 },
  { name: '4→6 (rows past a multiple of 4), 3×3 on 11×13', N: 2, C: 4, O: 6, size: [11, 13], k: [3, 3], s: [1, 1], p: [0, 0], d: [1, 1], group: 1 },
  { name: 'stride 2, dilation 2, pad (1,2)', N: 2, C: 3, O: 4, size: [9, 10], k: [3, 2], s: [2, 2], p: [1, 2], d: [2, 2], group: 1 },
  { name: 'groups 2: 6→10', N: 2, C: 6, O: 10, size: [7, 7], k: [3, 3], s: [1, 1], p: [1, 1], d: [1, 1], group: 2 },
  { name: 'five images: the forward four at a time, then one', N: 5, C: 2, O: 4, size: [8, 8], k: [3, 3], s: [1, 1], p: [1, 1], d: [1, 1], group: 1 },
  { name: '64→8, 3×3: 576 taps, two K blocks of the GEMM', N: 2, C: 64, O: 8, size: [6, 6], k: [3, 3], s: [1, 1], p: [0, 0], d: [1, 1], group: 1 },
  { name: '1→16: fewer taps than channels (the weight gradient image by image)', N: 3, C: 1, O: 16, size: [9, 10], k: [3, 3], s: [1, 1], p: [1, 1], d: [1, 1], group: 1 },
  { name: '2→4 on 24×24, seven images: the weight gradient four a product, then three', N: 7, C: 2, O: 4, size: [24, 24], k: [3, 3], s: [1, 1], p: [0, 0], d: [1, 1], group: 1 },
];

function geom(c: Case): ConvGeom {
  const out = c.size.map((n, i) => Math.floor((n + 2 * c.p[i] - c.d[i] * (c.k[i] - 1) - 1) / c.s[i]) + 1);
  return { N: c.N, C: c.C, O: c.O, size: c.size, kernel: c.k, out, stride: c.s, pads: c.p, dilation: c.d, group: c.group };
}

/** The forward y, and for an output gradient gy the input's dx and the weight's dw. */
function naive(c: Case, g: ConvGeom, x: Float32Array, w: Float32Array, b: Float32Array, gy: Float32Array) {
  const [H, W] = c.size, [OH, OW] = g.out, Cg = c.C / c.group, Og = c.O / c.group;
  const y = new Float64Array(c.N * c.O * OH * OW), dx = new Float64Array(x.length), dw = new Float64Array(w.length);
  for (let n = 0; n < c.N; n++)
    for (let o = 0; o < c.O; o++)
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++) {
          let s = b[o];
          for (let ci = 0; ci < Cg; ci++)
            for (let ky = 0; ky < c.k[0]; ky++)
              for (let kx = 0; kx < c.k[1]; kx++) {
                const iy = oy * c.s[0] - c.p[0] + ky * c.d[0], ix = ox * c.s[1] - c.p[1] + kx * c.d[1];
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                const ch = Math.floor(o / Og) * Cg + ci, wi = ((o * Cg + ci) * c.k[0] + ky) * c.k[1] + kx, xi = ((n * c.C + ch) * H + iy) * W + ix;
                const yi = ((n * c.O + o) * OH + oy) * OW + ox;
                s += w[wi] * x[xi];
                dx[xi] += w[wi] * gy[yi];
                dw[wi] += gy[yi] * x[xi];
              }
          y[((n * c.O + o) * OH + oy) * OW + ox] = s;
        }
  return { y, dx, dw };
}

const fill = (a: Float32Array, seed: number) => a.forEach((_, i) => (a[i] = Math.sin(seed + i * 1.37) * 0.8));

describe('float32 convolution kernels against naive loops', () => {
  for (const c of cases)
    for (const where of ['heap', 'outside the heap'] as const)
      it(`${c.name}, the weight ${where === 'heap' ? 'in the heap' : where}`, () => {
        const h = heap()!, owner = {}, g = geom(c);
        const nx = c.N * c.C * c.size[0] * c.size[1], nw = c.O * (c.C / c.group) * c.k[0] * c.k[1], ny = c.N * c.O * g.out[0] * g.out[1];
        const x = h.alloc(nx, owner), w = where === 'heap' ? h.alloc(nw, owner) : new Float32Array(nw), b = h.alloc(c.O, owner), y = h.alloc(ny, owner);
        fill(x, 1);
        fill(w, 2);
        fill(b, 3);
        y.fill(NaN);
        const gy = h.alloc(ny, owner), dx = h.alloc(nx, owner), dw = h.alloc(nw, owner);
        fill(gy, 4);
        dx.fill(NaN);
        dw.fill(NaN);
        convKernel(g, true, 'f32')([x, w, b], y);
        convBackInputKernel(g, 'f32')([gy, w], dx);
        convBackWeightKernel(g, 'f32')([gy, x], dw);
        const ref = naive(c, g, x, w, b, gy);
        const near = (got: Float32Array, want: Float64Array) => {
          expectEachClose(got, want, (v) => 1e-4 * (1 + Math.abs(v)));
        };
        near(y, ref.y);
        near(dx, ref.dx);
        near(dw, ref.dw);
      });
  for (const c of cases)
    it(`${c.name}: each kernel made in memory left dirty (its scratch is not cleared)`, () => {
      const h = heap()!, owner = {}, g = geom(c);
      const nx = c.N * c.C * c.size[0] * c.size[1], nw = c.O * (c.C / c.group) * c.k[0] * c.k[1], ny = c.N * c.O * g.out[0] * g.out[1];
      const x = h.alloc(nx, owner), w = h.alloc(nw, owner), b = h.alloc(c.O, owner), gy = h.alloc(ny, owner);
      const y = h.alloc(ny, owner), dx = h.alloc(nx, owner), dw = h.alloc(nw, owner);
      fill(x, 1);
      fill(w, 2);
      fill(b, 3);
      fill(gy, 4);
      // freed memory full of NaN where each kernel's scratch goes (first fit)
      const dirty = () => {
        const dirt = h.alloc(2 ** 18, undefined, false);
        dirt.fill(NaN);
        h.free(dirt);
      };
      dirty();
      const forward = convKernel(g, true, 'f32');
      dirty();
      const backInput = convBackInputKernel(g, 'f32');
      dirty();
      const backWeight = convBackWeightKernel(g, 'f32');
      forward([x, w, b], y);
      backInput([gy, w], dx);
      backWeight([gy, x], dw);
      const ref = naive(c, g, x, w, b, gy);
      for (const [got, want] of [[y, ref.y], [dx, ref.dx], [dw, ref.dw]] as const)
        expectEachClose(got, want, (v) => 1e-4 * (1 + Math.abs(v)));
    });
});
