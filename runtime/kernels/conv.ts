/**
 * Convolution kernels (NC and any number of spatial axes: NCL, NCHW, NCDHW) through im2col and the matrix kernels: the patches of the batch are laid
 * out as rows, colsT[N·OH·OW, Cg·KH·KW], so that one product per group does the work of the whole batch:
 *   forward       outT[N·P, Og] = colsT · W_gᵀ            (then scattered to [N, O, OH, OW], bias added)
 *   input grad    dcolsT        = GT[N·P, Og] · W_g        (then added back to the pixels: col2im)
 *   weight grad   dW_g[Og, CK]  = GTᵀ · colsT
 * with P the output positions (OH·OW in 2-D) and CK = Cg·KH·KW (Cg times the kernel's size in N-D).
 * Scratch buffers live in the runtime's heap (so the WebAssembly GEMM
 * reads them in place) and are made once, when the kernel is prepared: a run allocates nothing.
 */
import type { Kernel } from './kernel.ts';
import { matmulKernel } from './matmul.ts';
import { heap } from './heap.ts';

export interface ConvGeom {
  /** Batch, input channels, output channels. */
  readonly N: number; readonly C: number; readonly O: number;
  /** Spatial extents (any number of axes: [L], [H, W], [D, H, W]) of the input, the kernel and the output. */
  readonly size: readonly number[]; readonly kernel: readonly number[]; readonly out: readonly number[];
  /** Per spatial axis: stride, padding at the start, dilation; and the groups. */
  readonly stride: readonly number[]; readonly pads: readonly number[]; readonly dilation: readonly number[];
  readonly group: number;
}

const prod = (a: readonly number[]) => a.reduce((p, d) => p * d, 1);

type Buf = Float32Array;

/** A scratch buffer of the plan's precision: in the heap for float32 (freed with `owner`), else a Float64Array. */
function scratch(n: number, precision: 'f32' | 'f64', owner: object): Buf {
  if (precision === 'f64') return new Float64Array(n) as unknown as Buf;
  const h = heap();
  return h ? h.alloc(n, owner) : new Float32Array(n);
}

/** For each (row of colsT, column) the input offset it reads within one image's group, or -1 (padding). */
function patchMap(g: ConvGeom): Int32Array {
  const d = g.size.length, Cg = g.C / g.group, P = prod(g.out), K = prod(g.kernel), CK = Cg * K, S = prod(g.size);
  const map = new Int32Array(P * CK);
  const o = new Array<number>(d).fill(0), k = new Array<number>(d).fill(0);
  for (let p = 0; p < P; p++) {
    // o: the output position of row p (row-major)
    for (let a = d - 1, r = p; a >= 0; a--) { o[a] = r % g.out[a]; r = Math.floor(r / g.out[a]); }
    for (let kk = 0; kk < K; kk++) {
      for (let a = d - 1, r = kk; a >= 0; a--) { k[a] = r % g.kernel[a]; r = Math.floor(r / g.kernel[a]); }
      let off = 0, inside = true;
      for (let a = 0; a < d; a++) {
        const i = o[a] * g.stride[a] - g.pads[a] + k[a] * g.dilation[a];
        if (i < 0 || i >= g.size[a]) { inside = false; break; }
        off = off * g.size[a] + i;
      }
      for (let c = 0; c < Cg; c++) map[p * CK + c * K + kk] = inside ? c * S + off : -1;
    }
  }
  return map;
}

/** Fills colsT [N·P, CK] with the patches of group `gi` of x. */
function im2col(x: Buf, cols: Buf, g: ConvGeom, map: Int32Array, gi: number): void {
  const S = prod(g.size), Cg = g.C / g.group, img = g.C * S, len = map.length, base = gi * Cg * S;
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
  const S = prod(g.size), Cg = g.C / g.group, img = g.C * S, len = map.length, base = gi * Cg * S;
  for (let n = 0; n < g.N; n++) {
    const xo = n * img + base, co = n * len;
    for (let i = 0; i < len; i++) {
      const m = map[i];
      if (m >= 0) dx[xo + m] += cols[co + i];
    }
  }
}

const sizes = (g: ConvGeom) => {
  const Cg = g.C / g.group, Og = g.O / g.group, P = prod(g.out);
  return { Cg, Og, P, CK: Cg * prod(g.kernel), NP: g.N * P };
};

/** y = conv(x, w) (+ b): inputs x [N,C,...], w [O,C/group,...kernel], optional b [O]. */
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
