/**
 * 2-D convolution kernels (NCHW) through im2col and the matrix kernels: the patches of the batch are laid
 * out as rows, colsT[N·OH·OW, Cg·KH·KW], so that one product per group does the work of the whole batch:
 *   forward       outT[N·P, Og] = colsT · W_gᵀ            (then scattered to [N, O, OH, OW], bias added)
 *   input grad    dcolsT        = GT[N·P, Og] · W_g        (then added back to the pixels: col2im)
 *   weight grad   dW_g[Og, CK]  = GTᵀ · colsT
 * with P = OH·OW and CK = Cg·KH·KW. Scratch buffers live in the runtime's heap (so the WebAssembly GEMM
 * reads them in place) and are made once, when the kernel is prepared: a run allocates nothing.
 */
import type { Kernel } from './kernel.ts';
import { matmulKernel } from './matmul.ts';
import { heap } from './heap.ts';

export interface ConvGeom {
  readonly N: number; readonly C: number; readonly H: number; readonly W: number;
  readonly O: number; readonly KH: number; readonly KW: number;
  readonly OH: number; readonly OW: number;
  /** [strideH, strideW], [padTop, padLeft], [dilationH, dilationW], groups. */
  readonly stride: readonly number[]; readonly pads: readonly number[]; readonly dilation: readonly number[];
  readonly group: number;
}

type Buf = Float32Array;

/** A scratch buffer of the plan's precision: in the heap for float32 (freed with `owner`), else a Float64Array. */
function scratch(n: number, precision: 'f32' | 'f64', owner: object): Buf {
  if (precision === 'f64') return new Float64Array(n) as unknown as Buf;
  const h = heap();
  return h ? h.alloc(n, owner) : new Float32Array(n);
}

/** For each (row of colsT, column) the input offset it reads within one image's group, or -1 (padding). */
function patchMap(g: ConvGeom): Int32Array {
  const Cg = g.C / g.group, P = g.OH * g.OW, CK = Cg * g.KH * g.KW;
  const map = new Int32Array(P * CK);
  const [sh, sw] = g.stride, [ph, pw] = g.pads, [dh, dw] = g.dilation;
  for (let oy = 0; oy < g.OH; oy++)
    for (let ox = 0; ox < g.OW; ox++) {
      const row = (oy * g.OW + ox) * CK;
      let k = 0;
      for (let c = 0; c < Cg; c++)
        for (let ky = 0; ky < g.KH; ky++) {
          const iy = oy * sh - ph + ky * dh;
          for (let kx = 0; kx < g.KW; kx++, k++) {
            const ix = ox * sw - pw + kx * dw;
            map[row + k] = iy >= 0 && iy < g.H && ix >= 0 && ix < g.W ? (c * g.H + iy) * g.W + ix : -1;
          }
        }
    }
  return map;
}

/** Fills colsT [N·P, CK] with the patches of group `gi` of x. */
function im2col(x: Buf, cols: Buf, g: ConvGeom, map: Int32Array, gi: number): void {
  const Cg = g.C / g.group, img = g.C * g.H * g.W, len = map.length, base = gi * Cg * g.H * g.W;
  for (let n = 0; n < g.N; n++) {
    const xo = n * img + base, co = n * len;
    for (let i = 0; i < len; i++) {
      const m = map[i];
      cols[co + i] = m < 0 ? 0 : x[xo + m];
    }
  }
}

/** Adds colsT [N·P, CK] back onto the pixels of group `gi` of dx (which the caller zeroed). */
function col2im(cols: Buf, dx: Buf, g: ConvGeom, map: Int32Array, gi: number): void {
  const Cg = g.C / g.group, img = g.C * g.H * g.W, len = map.length, base = gi * Cg * g.H * g.W;
  for (let n = 0; n < g.N; n++) {
    const xo = n * img + base, co = n * len;
    for (let i = 0; i < len; i++) {
      const m = map[i];
      if (m >= 0) dx[xo + m] += cols[co + i];
    }
  }
}

const sizes = (g: ConvGeom) => {
  const Cg = g.C / g.group, Og = g.O / g.group, P = g.OH * g.OW;
  return { Cg, Og, P, CK: Cg * g.KH * g.KW, NP: g.N * P };
};

/** y = conv(x, w) (+ b): inputs x [N,C,H,W], w [O,C/group,KH,KW], optional b [O]. */
export function convKernel(g: ConvGeom, hasBias: boolean, precision: 'f32' | 'f64'): Kernel {
  const { Og, P, CK, NP } = sizes(g);
  const map = patchMap(g);
  const gemm = matmulKernel(NP, CK, Og, false, true, precision);
  const cols = scratch(NP * CK, precision, kernel), outT = scratch(NP * Og, precision, kernel);
  const wg = g.group > 1 ? scratch(Og * CK, precision, kernel) : null;
  const ab = [cols, cols] as Buf[];
  function kernel(ins: readonly Buf[], out: Buf): void {
    const [x, w] = ins, b = hasBias ? ins[2] : null;
    for (let gi = 0; gi < g.group; gi++) {
      im2col(x, cols, g, map, gi);
      if (wg) for (let i = 0; i < Og * CK; i++) wg[i] = w[gi * Og * CK + i];
      ab[1] = wg ?? w;
      gemm(ab, outT);
      for (let n = 0; n < g.N; n++)
        for (let o = 0; o < Og; o++) {
          const oc = gi * Og + o, bo = b ? b[oc] : 0, dst = (n * g.O + oc) * P;
          for (let p = 0, src = n * P * Og + o; p < P; p++, src += Og) out[dst + p] = outT[src] + bo;
        }
    }
  }
  return Object.assign(kernel, { path: `im2col + ${gemm.path ?? 'matrix product'}` });
}

/** Copies g [N, O, P] of group gi into GT [N·P, Og]. */
function gatherGT(gr: Buf, GT: Buf, g: ConvGeom, gi: number, Og: number, P: number): void {
  for (let n = 0; n < g.N; n++)
    for (let o = 0; o < Og; o++) {
      const src = (n * g.O + gi * Og + o) * P;
      for (let p = 0, dst = n * P * Og + o; p < P; p++, dst += Og) GT[dst] = gr[src + p];
    }
}

/** dx = conv's input gradient: inputs g [N,O,OH,OW], w [O,C/group,KH,KW]; output [N,C,H,W]. */
export function convBackInputKernel(g: ConvGeom, precision: 'f32' | 'f64'): Kernel {
  const { Og, P, CK, NP } = sizes(g);
  const map = patchMap(g);
  const gemm = matmulKernel(NP, Og, CK, false, false, precision);
  const cols = scratch(NP * CK, precision, kernel), GT = scratch(NP * Og, precision, kernel);
  const wg = g.group > 1 ? scratch(Og * CK, precision, kernel) : null;
  const ab = [GT, GT] as Buf[];
  function kernel(ins: readonly Buf[], out: Buf): void {
    const [gr, w] = ins;
    out.fill(0);
    for (let gi = 0; gi < g.group; gi++) {
      gatherGT(gr, GT, g, gi, Og, P);
      if (wg) for (let i = 0; i < Og * CK; i++) wg[i] = w[gi * Og * CK + i];
      ab[1] = wg ?? w;
      gemm(ab, cols);
      col2im(cols, out, g, map, gi);
    }
  }
  return Object.assign(kernel, { path: `${gemm.path ?? 'matrix product'} + col2im` });
}

/** dW = conv's weight gradient: inputs g [N,O,OH,OW], x [N,C,H,W]; output [O,C/group,KH,KW]. */
export function convBackWeightKernel(g: ConvGeom, precision: 'f32' | 'f64'): Kernel {
  const { Og, P, CK, NP } = sizes(g);
  const map = patchMap(g);
  const gemm = matmulKernel(Og, NP, CK, true, false, precision);
  const cols = scratch(NP * CK, precision, kernel), GT = scratch(NP * Og, precision, kernel);
  const dw = g.group > 1 ? scratch(Og * CK, precision, kernel) : null;
  const ab = [GT, cols] as Buf[];
  function kernel(ins: readonly Buf[], out: Buf): void {
    const [gr, x] = ins;
    for (let gi = 0; gi < g.group; gi++) {
      gatherGT(gr, GT, g, gi, Og, P);
      im2col(x, cols, g, map, gi);
      if (dw) {
        gemm(ab, dw);
        for (let i = 0; i < Og * CK; i++) out[gi * Og * CK + i] = dw[i];
      } else gemm(ab, out);
    }
  }
  return Object.assign(kernel, { path: `im2col + ${gemm.path ?? 'matrix product'}` });
}
